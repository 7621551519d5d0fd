"""Fuzzing the response endpoints over real HTTP: no request may get a 5xx.

Two generators run against a real uvicorn server, as an admin:

* schemathesis (on SQLite) derives requests for ``POST`` and ``GET`` on
  ``/api/v1/surveys/{id}/responses`` from the app's own OpenAPI document, both
  schema-conforming (positive) and deliberately wrong (negative), mostly for the seeded
  survey and sometimes for any id, plus integers just past what the database stores, and
  applies its ``not_a_server_error`` check;
* hypothesis (on SQLite and PostgreSQL, whose text and integer types are stricter) posts
  arbitrary JSON ``answers`` documents (the survey's question ids and random keys, any
  JSON values, sometimes a valid core) and expects a success, a replay, a conflict or a
  problem+json 400 (NUL characters, refused at the edge) or 422.

Both are derandomised: every run tries the same examples, so a failure reproduces.
(schemathesis' own pytest plugin, ``from_fixture(...).parametrize()``, fails on pytest 9
with "'Function' object has no attribute '_nodeid'", hence ``as_strategy`` and ``given``.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import EVERY_TYPE, GOOD_ANSWERS, seed_org

PATH = "/api/v1/surveys/{survey_id}/responses"
PROBLEM = "application/problem+json"
QUESTION_IDS = [q["id"] for page in EVERY_TYPE["pages"] for q in page["questions"]]
BEYOND_INT64 = 2**63  # the smallest integer SQLite and a PostgreSQL BIGINT cannot hold


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@dataclass(frozen=True)
class Target:
    url: str
    survey_id: int
    headers: dict[str, str]


def seeded_target(server: LiveServer, db: Database) -> Target:
    """The live server with the every-type survey published and an admin token."""
    survey_id = seed_org(db)
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "fuzz", Role.ADMIN)
    return Target(server.url, survey_id, {"Authorization": f"Bearer {token}"})


@pytest.fixture
def sqlite_target(sqlite_live_server: LiveServer, sqlite_db: Database) -> Target:
    return seeded_target(sqlite_live_server, sqlite_db)


@pytest.fixture
def target(live_server: LiveServer, db: Database) -> Target:
    return seeded_target(live_server, db)


def assert_client_error_is_a_problem(status: int, content_type: str, text: str) -> None:
    if 400 <= status < 500:
        assert content_type == PROBLEM, text


def edge_cases(operation: schemathesis.APIOperation, survey_id: int) -> list[schemathesis.Case]:
    """Integers just past 64 bits, which random generation rarely reaches."""
    if operation.method.upper() == "GET":
        return [
            operation.Case(path_parameters={"survey_id": BEYOND_INT64}),
            operation.Case(path_parameters={"survey_id": survey_id}, query={"after": BEYOND_INT64}),
        ]
    return [
        operation.Case(
            path_parameters={"survey_id": BEYOND_INT64},
            body={"answers": {"nps": 9}, "unit": "north-1"},
            media_type="application/json",
        )
    ]


@pytest.mark.parametrize("mode", list(GenerationMode), ids=str)
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_schemathesis_finds_no_server_error(
    sqlite_target: Target, method: str, mode: GenerationMode
) -> None:
    target = sqlite_target
    schema = schemathesis.openapi.from_url(f"{target.url}/openapi.json")
    operation = schema[PATH][method]
    seeded = operation.as_strategy(mode, path_parameters={"survey_id": target.survey_id})
    # one_of picks among branches: three seeded ones reach the handler's logic most of the
    # time, the last one also tries survey ids that do not exist.
    cases = st.one_of(seeded, seeded, seeded, operation.as_strategy(mode))

    def check(case: schemathesis.Case) -> None:
        response = case.call_and_validate(headers=target.headers, checks=[not_a_server_error])
        # schemathesis responses keep every value of a header in a list
        content_type = response.headers.get("content-type", [""])[0]
        assert_client_error_is_a_problem(response.status_code, content_type, response.text)

    fuzz = given(case=cases)(check)
    for edge in edge_cases(operation, target.survey_id):
        fuzz = example(case=edge)(fuzz)
    fuzz_settings(150 if method == "POST" else 100)(fuzz)()


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
ANSWER_KEYS = st.sampled_from(QUESTION_IDS) | st.text(max_size=12)


@st.composite
def answer_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Some of the valid answers (so a few requests succeed) overlaid with arbitrary JSON."""
    kept = draw(st.sets(st.sampled_from(sorted(GOOD_ANSWERS))))
    noise = draw(st.dictionaries(ANSWER_KEYS, JSON_VALUES, max_size=6))
    return {**{key: GOOD_ANSWERS[key] for key in kept}, **noise}


BODIES = st.fixed_dictionaries(
    {
        "answers": answer_documents(),
        "unit": st.sampled_from(["north-1", "acme/south", "mars"]) | st.text(max_size=20),
    },
    optional={
        "person": st.sampled_from(["c0", "c1", "nobody"]) | st.text(max_size=10),
        "language": st.sampled_from(["en", "es"]) | st.text(max_size=12),
    },
)
KEYS = st.none() | st.sampled_from(["order-1", "order-2"])  # replays: 200 or 409
EDGE_BODIES = [  # values at the limits of the storage types
    {"answers": {"nps": 9, "visits": 10**400}, "unit": "north-1"},  # past a float
    {"answers": {"nps": 9, "comment": "a\x00b"}, "unit": "north-1"},  # NUL in text
    {"answers": {"nps": 9}, "unit": "north\x00-1"},
    {"answers": {"nps": 9}, "unit": "north-1", "language": "x" * 11},  # column is 10 wide
]


def test_arbitrary_answer_documents_get_a_client_error_never_a_5xx(target: Target) -> None:
    url = f"{target.url}{PATH.format(survey_id=target.survey_id)}"
    seen: set[int] = set()
    with httpx.Client(headers=target.headers, timeout=30) as client:

        def check(body: dict[str, Any], key: str | None) -> None:
            headers = {"Idempotency-Key": key} if key else {}
            response = client.post(url, json=body, headers=headers)
            assert response.status_code in {200, 201, 400, 409, 422}, (body, key, response.text)
            content_type = response.headers.get("content-type", "")
            assert_client_error_is_a_problem(response.status_code, content_type, response.text)
            seen.add(response.status_code)

        fuzz = given(body=BODIES, key=KEYS)(check)
        for body in [{"answers": GOOD_ANSWERS, "unit": "north-1"}, *EDGE_BODIES]:
            fuzz = example(body=body, key=None)(fuzz)
        fuzz_settings(150)(fuzz)()
    assert {201, 422} <= seen  # the generator reaches both the happy and the error paths
