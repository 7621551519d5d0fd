"""Every date the API accepts is ``ApiDate``: ISO ``YYYY-MM-DD`` text only. Numbers (which
pydantic alone reads as Unix times: 0 is 1970-01-01) and date-times are a 422 naming the
field, on every route that takes a date; the OpenAPI schema says ``string``/``date``."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, get_args, get_origin

import httpx
import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from rapport.api.types import iso_date_only
from rapport.app import create_app
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import seed_org
from tests.integration.test_closed_loop import PROBLEM, _token


def _bare_dates(annotation: Any, where: str, seen: set[type]) -> list[str]:
    """Places in ``annotation`` where a date is taken without ``iso_date_only``."""
    if annotation is date:
        return [where]
    if get_origin(annotation) is Annotated:
        inner, *metadata = get_args(annotation)
        if inner is date and any(getattr(m, "func", None) is iso_date_only for m in metadata):
            return []
        return _bare_dates(inner, where, seen)
    if get_origin(annotation) in (typing.Union, types.UnionType, list, dict, tuple):
        return [p for a in get_args(annotation) for p in _bare_dates(a, where, seen)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return []
        seen.add(annotation)
        found = []
        for name, field in annotation.model_fields.items():
            place = f"{annotation.__name__}.{name}"
            if field.annotation is date:
                if not any(getattr(m, "func", None) is iso_date_only for m in field.metadata):
                    found.append(place)
            else:
                found.extend(_bare_dates(field.annotation, place, seen))
        return found
    return []


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI ≥ 0.120 includes lazily
        if included is not None:
            yield from _api_routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def test_every_date_an_api_route_accepts_is_an_api_date(sqlite_db: Database, tmp_path) -> None:
    app = create_app(make_settings(tmp_path, sqlite_db), sqlite_db)
    bare: list[str] = []
    inputs = 0
    for route in _api_routes(list(app.routes)):
        params = [*route.dependant.body_params, *route.dependant.query_params]
        for param in params:
            found = _bare_dates(param.field_info.annotation, f"{route.path} {param.name}", set())
            bare.extend(found)
        inputs += len(params)
    assert inputs > 50  # the walk is live: it saw the routes' inputs
    assert bare == []

    # and it can fail: a plain date is found
    class Plain(BaseModel):
        day: date | None = None

    assert _bare_dates(Plain, "Plain", set()) == ["Plain.day"]


CASES = [
    ("post", "/api/v1/learnings", {"title": "t", "what_happened": "w"}, "review_on"),
    (
        "post",
        "/api/v1/learnings",
        {"title": "t", "what_happened": "w", "changes": [{"area": "people", "description": "d"}]},
        "changes.0.changed_on",
    ),
    ("post", "/api/v1/actions", {"unit": "north-1", "title": "t"}, "started_on"),
    (
        "post",
        "/api/v1/units",
        {"code": "x-1", "name": "X", "kind": "store", "parent": "north"},
        "opened_on",
    ),
    ("patch", "/api/v1/units/north-1", {}, "moved_on"),
]


def _set(body: dict[str, Any], field: str, value: object) -> dict[str, Any]:
    body = {**body}
    if field.startswith("changes.0."):
        body["changes"] = [{**body["changes"][0], field.rsplit(".", 1)[1]: value}]
    else:
        body[field] = value
    return body


@pytest.mark.parametrize(("method", "path", "body", "field"), CASES)
def test_a_number_or_a_date_time_is_refused_with_the_field_named(
    sqlite_live_server: LiveServer,
    sqlite_db: Database,
    method: str,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    seed_org(sqlite_db)
    admin = _token(sqlite_db)
    url = f"{sqlite_live_server.url}{path}"
    for bad in (0, 1767225600, 2026.5, "2026-01-31T00:00:00", "31/01/2026", "20260131"):
        r = httpx.request(method, url, json=_set(body, field, bad), headers=admin)
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"] == PROBLEM
        [error] = r.json()["errors"]
        assert error["location"] == field, error
        assert "YYYY-MM-DD" in error["message"]
        if isinstance(bad, int | float):
            assert "not a number" in error["message"]
    good = httpx.request(method, url, json=_set(body, field, "2026-01-31"), headers=admin)
    assert good.status_code in (200, 201), good.text


def test_the_schema_says_every_api_date_is_a_string(sqlite_db: Database, tmp_path) -> None:
    schema = create_app(make_settings(tmp_path, sqlite_db), sqlite_db).openapi()
    started = schema["components"]["schemas"]["ActionIn"]["properties"]["started_on"]
    assert started["type"] == "string" and started["format"] == "date"
