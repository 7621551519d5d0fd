"""A small organisation with known employee counts, for exact suppression assertions.

Shared by the ``test_metrics_*`` integration modules (``from ...test_metrics_data import seed``).

Tree and employee responses (anonymity threshold 5)::

    acme (company)
      north (region)          own: 0
        north-1 (store)       12
        north-2 (store)        6   hidden as complement: north's gap would be the 2 of north-3
        north-3 (store)        2   below threshold
      south (region)          own: 0
        south-1 (store)       20

Customers: 30 responses at north-1, 3 at south-1 (never suppressed).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rapport.domain.org import SYSTEM, Role, UnitKind
from rapport.services import auth, responses, surveys
from rapport.services.survey_definitions import load_template
from rapport.storage.uow import Database

EMPLOYEES = {"north-1": 12, "north-2": 6, "north-3": 2, "south-1": 20}
CUSTOMERS = {"north-1": 30, "south-1": 3}
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PASSWORD = "a-long-test-password"


def answers(i: int) -> dict[str, Any]:
    score = 1 + i % 5
    return {
        "enps": i % 11,
        "heart_delight": score,
        "heart_special": 1 + (i + 1) % 5,
        "heart_about_me": 1 + (i + 2) % 5,
        "heart_exceeded": score,
        "heart_cared": 1 + (i * 3) % 5,
        "challenge": 1 + (i * 7) % 5,
        "minds": {"needs": score, "ease": 1 + (i + 3) % 5, "fast": 3},
        "ces": 1 + i % 7,
        "fresh": score,
        "taken_for_granted": 6 - score,
        "emotions": {"calm": 2} if i % 2 else {"grateful": 1, "calm": 1},
    }


def seed(db: Database) -> dict[str, int]:
    """Load the organisation, both relationship surveys and the responses; return ids."""
    with db.unit_of_work() as uow:
        acme = uow.units.add("acme", "Acme", UnitKind.COMPANY)
        north = uow.units.add("north", "North", UnitKind.REGION, acme)
        south = uow.units.add("south", "South", UnitKind.REGION, acme)
        units = {"acme": acme, "north": north, "south": south}
        for code in ("north-1", "north-2", "north-3"):
            units[code] = uow.units.add(code, code.title(), UnitKind.STORE, north)
        units["south-1"] = uow.units.add("south-1", "South-1", UnitKind.STORE, south)
        ids = {}
        for key in ("employee-relationship", "customer-relationship"):
            version = surveys.save_definition(uow, SYSTEM, load_template(key))
            published = surveys.get_version(uow, version.id)
            ids[key] = version.survey_id
            counts = EMPLOYEES if key.startswith("employee") else CUSTOMERS
            subs = []
            for code, count in counts.items():
                for i in range(count):
                    given = answers(i)
                    if key.startswith("employee"):
                        given["comment"] = "I feel ignored and taken for granted, it is annoying."
                    if key.startswith("customer"):
                        given["nps"] = given.pop("enps")
                        del given["challenge"]
                        given["csat"] = 1 + i % 5
                    subs.append(
                        responses.Submission(
                            answers=given,
                            unit_id=units[code].id,
                            channel="link",
                            # Alternate months: January and February 2026.
                            submitted_at=START + timedelta(days=31 * (i % 2), hours=i),
                            attributes={"role": "cashier" if i % 3 else "advisor"},
                        )
                    )
            responses.store_many(uow, published, subs, validate=True)
        auth.create_user(uow, "admin@example.com", PASSWORD, Role.ADMIN)
        auth.create_user(uow, "north@example.com", PASSWORD, Role.MANAGER, "north")
    return ids


def test_the_seeded_counts(sqlite_db: Database) -> None:
    seed(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        assert uow.responses.count() == sum(EMPLOYEES.values()) + sum(CUSTOMERS.values())
