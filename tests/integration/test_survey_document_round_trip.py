"""A survey document leaves Rapport and comes back as a new survey unchanged: over real HTTP
(``GET /api/v1/surveys/{id}`` → ``POST /api/v1/surveys``) on both engines; the CLI's
(``rapport survey export`` → ``rapport survey import``) is in ``tests/cli/test_export_cli.py``.

The domain round trip (dict → definition → dict) is a property test in
``tests/unit/domain/test_survey_definition.py``; these cover storage and the API.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
import yaml

from rapport.domain.org import Role
from rapport.services import auth
from rapport.services.survey_definitions import list_templates, template_text
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import EVERY_TYPE, seed_org

#: Every question type and field, compound logic, translations everywhere, tags on items.
RICH: dict[str, Any] = copy.deepcopy(EVERY_TYPE)
RICH.update(
    key="rich-document",
    audience="employee",
    anonymous=True,
    description={"en": "About {org}", "es": "Sobre {org}"},
    thank_you={"en": "Thanks!", "es": "¡Gracias!"},
)
_scores, _more = RICH["pages"]
_scores["questions"][1].update(
    help={"en": "0 is not at all", "es": "0 es nada"},
    scale={"low": {"en": "Never", "es": "Nunca"}, "high": {"en": "Surely", "es": "Seguro"}},
)
_scores["questions"][2]["scale"] = {
    "labels": [{"en": f"Point {i}", "es": f"Punto {i}"} for i in range(1, 6)]
}
_scores["questions"][4].update(reverse_keyed=True, required=True)
_scores["questions"][5]["scale"]["points"] = 7
_scores["questions"][6]["rows"][1]["reverse_keyed"] = True
_more["questions"][6]["show_if"] = {
    "any": [
        {"question": "nps", "op": "<=", "value": 6},
        {"all": [
            {"question": "minds", "row": "ease", "op": "<", "value": 3},
            {"not": {"question": "csat", "op": "in", "value": [4, 5]}},
        ]},
        {"question": "channel", "op": "==", "value": "web"},
    ]
}  # fmt: skip
_more["questions"][3]["show_if"] = {"question": "channels", "op": "contains", "value": "web"}
_more["questions"][4]["tags"] = ["number.visits"]
_more["questions"][5].update(min="2020-01-01", max="2030-12-31")
_more["questions"][6].update(max_length=500, required=True)
_more["questions"].append(
    {
        "id": "after",
        "type": "text",
        "text": "More?",
        "show_if": {"question": "why", "op": "answered"},
    }
)


def _renamed(definition: dict[str, Any], key: str) -> dict[str, Any]:
    return {**definition, "key": key}


@pytest.mark.parametrize("source", ["rich", *list_templates()])
def test_document_survives_export_and_import_over_http(
    live_server: LiveServer, db: Database, source: str
) -> None:
    seed_org(db, EVERY_TYPE)
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "t", Role.ADMIN)
    api = httpx.Client(
        base_url=live_server.url + "/api/v1", headers={"Authorization": f"Bearer {token}"}
    )
    given = RICH if source == "rich" else yaml.safe_load(template_text(source))
    first = api.post("/surveys", json=given)
    assert first.status_code == 201, first.text
    exported = api.get(f"/surveys/{first.json()['survey_id']}").json()["definition"]
    copy_ = api.post("/surveys", json=_renamed(exported, "copy-of-" + exported["key"]))
    assert copy_.status_code == 201, copy_.text
    assert copy_.json()["survey_id"] != first.json()["survey_id"]
    again = api.get(f"/surveys/{copy_.json()['survey_id']}").json()["definition"]
    assert _renamed(again, exported["key"]) == exported
    if source == "rich":
        assert (
            exported["pages"][1]["questions"][0]["show_if"]
            == RICH["pages"][1]["questions"][0]["show_if"]
        )
