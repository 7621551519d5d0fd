"""Property: after any sequence of people imports, unit moves, responses, cases and
learnings written about them, and erasures, every metric aggregate equals a rebuild from the
remaining rows (and an erasure changes none of them), and no erased person's name, e-mail,
phone, external id or comment is left in any text column of any table — case titles and
notes and the learnings linked to their responses or cases included (SQLite and
PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rapport.domain.learnings import LearningChange
from rapport.domain.org import SYSTEM, PersonKind, UnitKind
from rapport.errors import RapportError
from rapport.services import cases, learnings, people, personal_data, responses, units
from rapport.services.clock import utcnow
from rapport.storage.uow import Database
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org
from tests.integration.test_metric_aggregates import aggregate_rows, rebuilt
from tests.integration.test_personal_data import leaks

STORES = ("north-1", "north-2", "south-1")
REGIONS = ("north", "south")
POOL = 6

operations = st.one_of(
    st.tuples(
        st.just("import"),
        st.lists(st.tuples(st.integers(0, POOL - 1), st.sampled_from(STORES)), max_size=4),
    ),
    st.tuples(st.just("respond"), st.integers(0, POOL - 1), st.integers(0, 6), st.booleans()),
    st.tuples(st.just("move"), st.sampled_from(STORES), st.sampled_from(REGIONS)),
    st.tuples(st.just("learn"), st.integers(0, POOL - 1), st.booleans()),
    st.tuples(st.just("erase"), st.integers(0, POOL - 1)),
)


@dataclass
class World:
    """Which generation of each pooled person is live; every erased identity."""

    generation: dict[int, int] = field(default_factory=dict)
    live: set[int] = field(default_factory=set)
    erased: list[str] = field(default_factory=list)

    def tag(self, pid: int) -> str:
        return f"zq{pid}g{self.generation.get(pid, 0)}x"

    def identity(self, pid: int) -> list[str]:
        tag, gen = self.tag(pid), self.generation.get(pid, 0)
        return [f"ext-{tag}", f"Name {tag}", f"{tag}@example.org", f"+1 555 {pid}{gen:03d} 77"]


def _reset(db: Database) -> int:
    with db.engine.begin() as conn:
        for name in ("learning_links", "learning_changes", "learnings", "case_notes",
                     "case_events", "cases", "answers", "comment_analyses", "invitations",
                     "responses", "metric_aggregates", "audit_log", "people"):  # fmt: skip
            conn.execute(sa.text(f"DELETE FROM {name}"))
        sid = conn.execute(sa.text("SELECT id FROM surveys")).scalar()
    if sid is not None:
        return int(sid)
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        north, south = uow.units.by_code("north"), uow.units.by_code("south")
        uow.units.add("north-2", "North 2", UnitKind.STORE, north)
        uow.units.add("south-1", "South 1", UnitKind.STORE, south)
    with db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM people"))
    return sid


def _apply(db: Database, sid: int, world: World, op: tuple) -> None:
    kind = op[0]
    with db.unit_of_work() as uow:
        if kind == "import":
            rows = dict(op[1])  # one row per person
            if not rows:
                return
            lines = ["external_id,kind,unit,name,email,phone,segment,card"]
            for pid, store in rows.items():
                ext, name, email, phone = world.identity(pid)
                lines.append(f"{ext},customer,{store},{name},{email},{phone},gold,card-{ext}")
            people.import_people(uow, SYSTEM, "\n".join(lines).encode(), pause_gc=False)
            world.live.update(rows)
        elif kind == "respond":
            _, pid, nps, comment = op
            if pid not in world.live:
                return
            ext = world.identity(pid)[0]
            person = uow.people.by_key(PersonKind.CUSTOMER, ext)
            assert person is not None
            unit = uow.units.get(person.unit_id)
            assert unit is not None
            answers = {**GOOD_ANSWERS, "nps": nps, "comment": f"about {ext}" if comment else ""}
            answers = {k: v for k, v in answers.items() if v != ""}
            responses.submit_as(
                uow, SYSTEM, sid, answers, unit=unit.code, person=ext, keep_original=True
            )
        elif kind == "learn":  # staff write about the person: a case and its learning
            _, pid, via_case = op
            if pid not in world.live:
                return
            ext, name, email, phone = world.identity(pid)
            person = uow.people.by_key(PersonKind.CUSTOMER, ext)
            assert person is not None
            mine = uow.personal_data.response_ids(person.id)
            unit = uow.units.get(person.unit_id)
            if not mine or unit is None:
                return
            links: dict[str, list[int]] = {"responses": [mine[-1]]}
            if via_case:
                case_id = cases.open_case(
                    uow, unit=unit, audience="customer", title=f"Call {name.upper()} back",
                    priority="normal", actor="test", response_id=mine[-1],
                )  # fmt: skip
                uow.cases.add_note(case_id, "store@example.com", utcnow(), f"rang {phone}")
                links = {"cases": [case_id]}
            given = learnings.LearningInput(
                title=f"{name} waited",
                what_happened=f"{name.lower()} ({email}, {phone}) at the till, card {ext}",
                learnt=f"ask {name.split()[-1]} first",
                changes=[LearningChange("processes", f"call {email} within a day")],
                **links,
            )
            learnings.create(uow, SYSTEM, given)
        elif kind == "move":
            try:
                units.move(uow, SYSTEM, op[1], op[2])
            except RapportError:
                return  # already there
        elif kind == "erase":
            pid = op[1]
            if pid not in world.live:
                return
            before = aggregate_rows(db)
            personal_data.erase_person(uow, SYSTEM, PersonKind.CUSTOMER, world.identity(pid)[0])
            uow.commit()
            assert aggregate_rows(db) == before, "an erasure changed an aggregate"
            world.erased.extend([*world.identity(pid), f"about ext-{world.tag(pid)}"])
            world.live.discard(pid)
            world.generation[pid] = world.generation.get(pid, 0) + 1


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(operations, min_size=1, max_size=14))
@example(  # always tried: learnings (on a response, on a case) about someone then erased
    [
        ("import", [(0, "north-1"), (1, "south-1")]),
        ("respond", 0, 3, True),
        ("respond", 1, 5, False),
        ("learn", 0, False),
        ("learn", 0, True),
        ("learn", 1, True),
        ("erase", 0),
    ]
)
def test_erasure_keeps_aggregates_and_leaves_no_identity(db: Database, ops: list[tuple]) -> None:
    sid = _reset(db)
    world = World()
    for op in ops:
        _apply(db, sid, world, op)
    current = aggregate_rows(db)
    assert rebuilt(db) == current
    assert leaks(db, world.erased) == []
    # The scan is live: people who were not erased are still found.
    still = [world.identity(pid)[1] for pid in world.live]
    assert {n for _, _, n in leaks(db, still)} == {s.lower() for s in still}
