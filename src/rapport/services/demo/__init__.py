"""Load the generated demo organisation into the database (``rapport demo``, ``make run``).

Generation is pure and seeded (:mod:`rapport.services.demo.generator`); this module only
writes it: units, people, demo users, the built-in surveys, an alert rule, the invitations of
each employee pulse, responses (the rule opens their cases), outcomes, actions, and a few
cases closed with learnings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from rapport.domain.org import SYSTEM, Person, Role, Unit, UnitKind
from rapport.services import auth, surveys
from rapport.services import responses as response_service
from rapport.services.bulk import gc_paused
from rapport.services.demo import closed_loop
from rapport.services.demo.generator import DEMO_START, generate_demo
from rapport.services.demo.models import DemoOrganisation
from rapport.services.survey_definitions import load_template
from rapport.services.surveys import PublishedSurvey
from rapport.storage.uow import Database, UnitOfWork

DEMO_PASSWORD = "northwind-demo"  # noqa: S105 - demo data only, printed to the user
DEMO_ADMIN = "admin@northwind.example"
DEMO_TEMPLATES = ("customer-relationship", "employee-relationship", "transactional", "readiness")
BATCH = 2000
WAVE_OPEN = timedelta(days=21)  # a pulse link expires three weeks after it is sent
ANSWER_DELAY = timedelta(days=2)


@dataclass(frozen=True)
class LoadSummary:
    units: int
    people: int
    responses: int
    outcomes: int
    admin_email: str
    password: str


def generate(
    seed: int = 7, units: int = 40, months: int = 15, start: date | None = None
) -> DemoOrganisation:
    """The demo organisation; ``start`` (a month's first day) defaults to July 2025."""
    return generate_demo(seed=seed, units=units, months=months, start=start or DEMO_START)


def _demo_users(org: DemoOrganisation) -> list[tuple[str, Role, str | None]]:
    region = org.truth.get("programme", {}).get("region") or next(
        u.code for u in org.units if u.kind == "region"
    )
    drifting = org.truth.get("drift", {}).get("stores") or []
    users: list[tuple[str, Role, str | None]] = [
        (DEMO_ADMIN, Role.ADMIN, None),
        ("analyst@northwind.example", Role.ANALYST, None),
        ("viewer@northwind.example", Role.VIEWER, None),
        (f"manager.{region}@northwind.example", Role.MANAGER, region),
    ]
    if drifting:
        users.append((f"manager.{drifting[0]}@northwind.example", Role.MANAGER, drifting[0]))
    return users


@gc_paused()
def load(
    db: Database, org: DemoOrganisation, progress: Callable[[int], None] | None = None
) -> LoadSummary:
    """Write ``org`` in one transaction: all or nothing."""
    with db.unit_of_work() as uow:
        unit_ids = _load_units(uow, org)
        _load_people(uow, org, unit_ids)
        published = {
            key: surveys.get_version(
                uow, surveys.save_definition(uow, SYSTEM, load_template(key)).id
            )
            for key in DEMO_TEMPLATES
        }
        for email, role, unit in _demo_users(org):  # before responses: cases find owners
            auth.create_user(uow, email, DEMO_PASSWORD, role, unit)
        closed_loop.add_rule(uow)
        people = {p.external_id: p for p in uow.people.in_units(list(unit_ids.values()))}
        batch: dict[str, list[response_service.Submission]] = {}
        for r in org.responses:
            person = people.get(r.person_external_id) if r.person_external_id else None
            sub = response_service.Submission(
                answers=r.answers,
                unit_id=unit_ids[r.unit_code],
                person=person,
                channel="email" if person else "link",
                language=r.language,
                submitted_at=r.submitted_at,
            )
            batch.setdefault(r.survey_key, []).append(sub)
            if len(batch[r.survey_key]) >= BATCH:
                response_service.store_many(
                    uow, published[r.survey_key], batch.pop(r.survey_key), validate=False
                )
                if progress:
                    progress(BATCH)
        for key, subs in batch.items():
            response_service.store_many(uow, published[key], subs, validate=False)
            if progress:
                progress(len(subs))
        uow.outcomes.add_many(
            {
                "unit_id": unit_ids[o.unit_code],
                "period": o.period,
                "metric": o.metric,
                "value": o.value,
            }
            for o in org.outcomes
        )
        _load_waves(uow, org, published, people, unit_ids)
        for a in org.actions:
            uow.actions.add(
                unit_ids[a.unit_code],
                a.kind,
                a.title,
                a.started_on,
                a.description,
                intended_effect=a.intended_effect,
                created_by=DEMO_ADMIN,
            )
        admin = uow.users.by_email(DEMO_ADMIN)
        if admin is None:
            raise RuntimeError("internal error: the demo admin is missing")
        closed_loop.close_with_learnings(uow, org, admin.principal())
    return LoadSummary(
        len(org.units),
        len(org.people),
        len(org.responses),
        len(org.outcomes),
        DEMO_ADMIN,
        DEMO_PASSWORD,
    )


def _load_units(uow: UnitOfWork, org: DemoOrganisation) -> dict[str, int]:
    by_code: dict[str, Unit] = {}
    for u in org.units:  # the generator lists parents before children
        parent = by_code.get(u.parent_code) if u.parent_code else None
        by_code[u.code] = uow.units.add(u.code, u.name, UnitKind(u.kind), parent)
    return {code: unit.id for code, unit in by_code.items()}


def _load_waves(
    uow: UnitOfWork,
    org: DemoOrganisation,
    published: Mapping[str, PublishedSurvey],
    people: Mapping[str, Person],
    unit_ids: Mapping[str, int],
) -> None:
    """The invitations of each e-mailed wave, the first ``answered`` of them used.

    They are history: expired, without the salt that rebuilds a link, so reminders skip
    them; token hashes are derived from the wave, so loads are reproducible.
    """
    rows = []
    for wave in org.waves:
        version = published[wave.survey_key].version.id
        month = f"{wave.sent_at:%Y-%m}"
        expires = wave.sent_at + WAVE_OPEN
        dist = uow.distribution.add_distribution(
            version, f"Pulse {month} {wave.unit_code}", "email", wave.sent_at, expires, "demo"
        )
        for k, external_id in enumerate(wave.invited):
            answered = k < wave.answered
            token = f"demo:{dist}:{external_id}".encode()
            rows.append(
                {
                    "distribution_id": dist,
                    "person_id": people[external_id].id,
                    "unit_id": unit_ids[wave.unit_code],
                    "token_hash": hashlib.sha256(token).hexdigest(),
                    "salt": None,
                    "status": "submitted" if answered else "pending",
                    "created_at": wave.sent_at,
                    "sent_at": wave.sent_at,
                    "used_at": wave.sent_at + ANSWER_DELAY if answered else None,
                }
            )
    uow.distribution.add_invitations(rows)


def _load_people(uow: UnitOfWork, org: DemoOrganisation, unit_ids: dict[str, int]) -> None:
    uow.people.add_many(
        {
            "kind": p.kind,
            "unit_id": unit_ids[p.unit_code],
            "external_id": p.external_id,
            "name": p.name,
            "email": p.email,
            "relationship_start": p.relationship_start,
            "attributes": p.attributes,
            "language": p.attributes.get("language", "en"),
            "consent_email": True,
        }
        for p in org.people
    )


def demo_admin_login(uow: UnitOfWork) -> tuple[str, str] | None:
    """The demo admin's login while its password is still the demo one, else None."""
    if not auth.password_matches(uow, DEMO_ADMIN, DEMO_PASSWORD):
        return None
    return DEMO_ADMIN, DEMO_PASSWORD
