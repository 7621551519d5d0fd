"""The HTTP attacker: random sequences of requests by an analyst and a manager, every answer
combined by an exact linear attacker (issue 11).

An organisation with many small employee groups is served by a real server. Hypothesis draws
sequences of requests any analyst or manager could send — metrics by unit, period and role with
any window, unit, segment, audience or survey, comparisons, comment listings, raw listings and
exports, submissions — and the attacker keeps every figure it is shown. Knowing which responses
each figure covers (the organisation's structure is public), it then looks for any set of 1..k-1
responses whose total is a linear combination of the totals it saw (``_attacker``, the same
exact rational attacker the suppression unit tests use), per metric. Comment listings are
combined as sets: every comment's place in the listings it appears in must leave at least the
comment threshold of respondents it may have come from.

Nothing here calls the suppression code: membership of a shown group is recomputed from the
seeded responses.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.domain.org import SYSTEM, Role, UnitKind
from rapport.services import auth, responses, surveys
from rapport.services.clock import utcnow
from rapport.services.survey_definitions import load_template
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration.test_metrics_data import answers
from tests.unit.analytics._attacker import small_derivable_sets

K_SCORES, K_COMMENTS = 5, 10
TREE = {  # code -> parent
    "acme": None,
    "north": "acme",
    "n1": "north",
    "n2": "north",
    "n3": "north",
    "south": "acme",
    "s1": "south",
    "s2": "south",
}
METRICS = ("hearts", "enps", "minds", "comment_sentiment")
ROLES = ("cashier", "advisor")


def _path(code: str) -> str:
    parent = TREE[code]
    return code if parent is None else f"{_path(parent)}/{code}"


def _under(path: str, unit: str) -> bool:
    return path == unit or path.startswith(unit + "/")


def _month_start(day: date, back: int) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class Seeded:
    """Every employee response of the organisation, as the attacker's ground truth."""

    survey_id: int
    units: dict[int, str] = field(default_factory=dict)  # response id -> unit path
    at: dict[int, datetime] = field(default_factory=dict)
    role: dict[int, str] = field(default_factory=dict)
    commented: set[int] = field(default_factory=set)
    months: list[date] = field(default_factory=list)  # closed months with data
    tokens: dict[str, str] = field(default_factory=dict)


def _seed(db: Database, seed: int = 11) -> Seeded:
    rng = random.Random(seed)
    today = utcnow().date()
    months = [_month_start(today, back) for back in (3, 2, 1, 0)]  # the last one is open
    with db.unit_of_work() as uow:
        made: dict[str, Any] = {}
        kinds = {None: UnitKind.COMPANY, "acme": UnitKind.REGION}
        for code, parent in TREE.items():
            kind = kinds.get(parent, UnitKind.STORE)
            made[code] = uow.units.add(code, code.upper(), kind, made.get(parent or ""))
        employee = surveys.save_definition(uow, SYSTEM, load_template("employee-relationship"))
        readiness = surveys.save_definition(uow, SYSTEM, load_template("readiness"))
        published = surveys.get_version(uow, employee.id)
        subs, meta = [], []
        for code in TREE:
            if code == "acme":
                continue
            for month in months:
                for i in range(rng.choice([0, 1, 2, 3, 4, 6, 8, 12])):
                    given = answers(rng.randrange(1000))
                    comment = rng.random() < 0.8
                    if comment:
                        given["comment"] = f"Remark {code}-{month:%m}-{i}: my team feels tired."
                    role = rng.choice(ROLES)
                    at = datetime(month.year, month.month, 1, tzinfo=UTC) + timedelta(
                        days=rng.randrange(27), seconds=rng.randrange(86_000)
                    )
                    if at >= utcnow():
                        at = utcnow() - timedelta(seconds=rng.randrange(1, 3600))
                    subs.append(
                        responses.Submission(
                            answers=given, unit_id=made[code].id, channel="link",
                            submitted_at=at, attributes={"role": role},
                        )
                    )  # fmt: skip
                    meta.append((_path(code), at, role, comment))
        ids = responses.store_many(uow, published, subs, validate=True)
        ready = surveys.get_version(uow, readiness.id)
        responses.store_many(
            uow, ready,
            [
                responses.Submission(
                    answers={"biggest_obstacle": "Nobody listens to us."},
                    unit_id=made["n1"].id, channel="link",
                    submitted_at=datetime(months[1].year, months[1].month, 3, tzinfo=UTC),
                )
                for _ in range(3)
            ],
            validate=False,
        )  # fmt: skip
        auth.create_user(uow, "north@example.com", "a-long-test-password", Role.MANAGER, "north")
        tokens = {
            "analyst": auth.create_token(uow, "analyst", Role.ANALYST),
            "manager": auth.create_token(uow, "manager", Role.MANAGER, "north"),
        }
    found = Seeded(employee.survey_id, tokens=tokens, months=months[:3])
    for rid, (path, at, role, comment) in zip(ids, meta, strict=True):
        found.units[rid], found.at[rid], found.role[rid] = path, at, role
        if comment:
            found.commented.add(rid)
    return found


# --- requests -----------------------------------------------------------------------------------

UNIT_CODES = [*TREE, None]
MOMENTS = st.one_of(
    st.none(),
    st.builds(
        lambda back, day, seconds: (
            datetime.combine(_month_start(utcnow().date(), back), datetime.min.time(), UTC)
            + timedelta(days=day, seconds=seconds)
        ),
        st.integers(0, 4),
        st.integers(0, 30),
        st.sampled_from([0, 1, 5, 3600, 43_200]),
    ),
)


#: A moment a few seconds around the i-th response (resolved against the seeded world when
#: the request is sent): the bisecting attack of release 0.1.
NEAR_A_RESPONSE = st.tuples(st.just("near"), st.integers(0, 10**6), st.sampled_from([-1, 0, 1, 5]))


@st.composite
def metric_requests(draw: st.DrawFn, metric: str) -> dict[str, Any]:
    params: dict[str, Any] = {"metric": metric}
    target = draw(st.sampled_from(["survey"] * 6 + ["audience", "mixed"]))
    if target == "survey":
        params["survey"] = "employee-relationship"
    elif target == "audience":
        params["audience"] = "employee"
    by = draw(st.sets(st.sampled_from(["unit", "period"])))
    if by:
        params["by"] = ",".join(sorted(by))
    grain = draw(st.sampled_from([None, None, "month", "month", "month", "quarter", "week"]))
    if grain or "period" in by:
        params["period"] = grain or "month"
    cut = draw(st.sampled_from([None, None, "attribute", "segment"]))
    if cut == "attribute":
        params["attribute"] = "role"
    elif cut == "segment":
        params["segment"] = f"role={draw(st.sampled_from(ROLES))}"
    unit = draw(st.sampled_from(UNIT_CODES))
    if unit:
        params["unit"] = unit
    for edge in ("since", "until"):
        moment = draw(st.one_of(MOMENTS, NEAR_A_RESPONSE))
        if moment is not None:
            params[edge] = moment if isinstance(moment, tuple) else moment.isoformat()
    return {"kind": "metrics", "params": params}


@st.composite
def comment_requests(draw: st.DrawFn) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": 1000}
    unit = draw(st.sampled_from(UNIT_CODES))
    if unit:
        params["unit"] = unit
    back = draw(st.sampled_from([None, 1, 2, 3, 0]))
    if back is not None:
        params["period"] = f"{_month_start(utcnow().date(), back):%Y-%m}"
    if draw(st.booleans()):
        params["sentiment"] = draw(st.sampled_from(["negative", "neutral", "positive"]))
    if draw(st.booleans()):
        params["band"] = draw(st.sampled_from(["promoter", "detractor"]))
    return {"kind": "comments", "params": params}


def compare_requests(metric: str) -> st.SearchStrategy[dict[str, Any]]:
    units = st.sampled_from([c for c in TREE if c != "acme"])
    return st.builds(
        lambda a, b: {
            "kind": "compare",
            "params": {
                "survey": "employee-relationship", "metric": metric,
                "first": f"unit={a}", "second": f"unit={b}",
            },
        },
        units, units,
    )  # fmt: skip


REFUSED = [{"kind": "raw"}, {"kind": "export"}, {"kind": "submit"}, {"kind": "import"}]


def campaigns(metric: str) -> st.SearchStrategy[list[tuple[str, dict[str, Any]]]]:
    """Requests about one metric (figures of different metrics measure different things and
    cannot be combined), with comment listings and attempts that must be refused between."""
    actions = st.one_of(
        metric_requests(metric),
        metric_requests(metric),
        metric_requests(metric),
        comment_requests(),
        compare_requests(metric),
        st.sampled_from(REFUSED),
    )
    role = st.sampled_from(["analyst", "manager"])
    return st.lists(st.tuples(role, actions), min_size=4, max_size=14)


STEPS = st.sampled_from(METRICS).flatmap(
    lambda metric: st.tuples(st.just(metric), campaigns(metric))
)


# --- the attacker -------------------------------------------------------------------------------


@dataclass
class Attacker:
    """Everything the attacker saw, as sets of employee responses behind shown figures."""

    world: Seeded
    figures: dict[str, set[frozenset[int]]] = field(default_factory=lambda: defaultdict(set))
    comment_places: dict[tuple[str, str], set[str]] = field(
        default_factory=lambda: defaultdict(set)
    )  # (period, display unit path) -> comment texts seen there
    shown_comment_groups: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def members(
        self, unit_path: str | None, start: date, end: date, role: str | None
    ) -> frozenset[int]:
        w = self.world
        lo = datetime.combine(start, datetime.min.time(), UTC)
        hi = datetime.combine(end, datetime.min.time(), UTC)
        return frozenset(
            rid
            for rid, path in w.units.items()
            if (unit_path is None or _under(path, unit_path))
            and lo <= w.at[rid] < hi
            and (role is None or w.role[rid] == role)
        )

    def see_metrics(self, role: str, params: dict[str, Any], body: dict[str, Any]) -> None:
        metric = params["metric"]
        attribute = params.get("attribute") or (params.get("segment") or "=").split("=")[0] or None
        for row in body["rows"]:
            if row.get("audience") not in (None, "employee") or row["suppressed"]:
                continue
            if row["value"] is None:
                continue
            assert row["period"] is not None, f"an employee figure without its period: {row}"
            start = date.fromisoformat(row["period"])
            label = row["period_label"]
            assert len(label) == 7, f"employee figures are monthly only: {label}"
            end = _month_start(start, -1)
            assert end <= _month_start(utcnow().date(), 0), f"an open period was shown: {label}"
            unit = row.get("unit_path")
            if unit is None and role == "manager":
                unit = "acme/north"
            group = self.members(unit, start, end, row.get("attribute") if attribute else None)
            if metric.startswith("comment_"):
                group = frozenset(group & self.world.commented)
            # What the figure covers, told by its n: the whole period, or the part of it
            # inside the request's window (a server that cut periods would be caught here).
            cut = frozenset(r for r in group if self._inside(r, params))
            found = group if row["n"] == len(group) else cut if row["n"] == len(cut) else None
            assert found is not None, f"n={row['n']} matches no group: {params} {row}"
            self.figures[metric].add(found)

    def _inside(self, rid: int, params: dict[str, Any]) -> bool:
        at = self.world.at[rid]
        since, until = params.get("since"), params.get("until")
        return (since is None or at >= datetime.fromisoformat(since)) and (
            until is None or at < datetime.fromisoformat(until)
        )

    def see_comments(self, params: dict[str, Any], body: dict[str, Any]) -> None:
        for comment in body["comments"]:
            assert "score" not in comment and "submitted_at" not in comment, comment
            assert len(comment["period"]) == 7 and comment["period"] < f"{utcnow():%Y-%m}"
            place = (comment["period"], self._path_of(comment["unit"]))
            self.comment_places[place].add(comment["text"])
        if body.get("period") and params.get("unit"):
            self.shown_comment_groups[body["period"]].add(self._path_of(params["unit"]))

    @staticmethod
    def _path_of(code: str) -> str:
        return _path(code)

    def check(self) -> None:
        """No small set of responses is a linear combination of what was seen."""
        for metric, groups in self.figures.items():
            k = K_COMMENTS if metric.startswith("comment_") else K_SCORES
            signature: dict[int, list[int]] = defaultdict(list)
            ordered = sorted(groups, key=sorted)
            for g, group in enumerate(ordered):
                for rid in group:
                    signature[rid].append(g)
            atoms: dict[tuple[int, ...], set[int]] = defaultdict(set)
            for rid, sig in signature.items():
                atoms[tuple(sig)].add(rid)
            names = {sig: f"atom{i}" for i, sig in enumerate(sorted(atoms))}
            sizes = {names[s]: len(m) for s, m in atoms.items()}
            sets = [{names[s] for s in atoms if g in s} for g in range(len(ordered))]
            found = small_derivable_sets(sizes, sets, k)
            assert not found, f"{metric}: the attacker isolates {found[:3]}"
        # Comments: every comment shown under a unit came from that unit's respondents in
        # the period who are under no other unit shown in that period: at least k of them.
        shown: dict[str, set[str]] = defaultdict(set)
        for (period, path), _texts in self.comment_places.items():
            shown[period].add(path)
        for period, paths in self.shown_comment_groups.items():
            shown[period] |= paths
        for period, paths in shown.items():
            start = date.fromisoformat(period + "-01")
            for path in paths:
                inside = self.members(path, start, _month_start(start, -1), None)
                below = [p for p in paths if p.startswith(path + "/")]
                gap = [r for r in inside if not any(_under(self.world.units[r], b) for b in below)]
                assert not gap or len(gap) >= K_COMMENTS, (period, path, len(gap))


# --- the test -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template) -> Any:
    import shutil

    folder = tmp_path_factory.mktemp("attack")
    path = folder / "rapport.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    seeded = _seed(db)
    with LiveServer(make_settings(folder, db), db) as server:
        yield seeded, server
    db.dispose()


def _resolved(seeded: Seeded, params: dict[str, Any]) -> dict[str, Any]:
    """Moments drawn as ``("near", i, seconds)`` become the i-th response's time + seconds."""
    times = sorted(seeded.at.values())
    out = dict(params)
    for edge in ("since", "until"):
        value = out.get(edge)
        if isinstance(value, tuple):
            _, i, delta = value
            out[edge] = (times[i % len(times)] + timedelta(seconds=delta)).isoformat()
    return out


def _perform(
    client: httpx.Client, seeded: Seeded, attacker: Attacker, role: str, action: dict[str, Any]
) -> None:
    headers = {"Authorization": f"Bearer {seeded.tokens[role]}"}
    sid = seeded.survey_id
    kind = action["kind"]
    if "params" in action:
        action = {**action, "params": _resolved(seeded, action["params"])}
    if kind == "raw":
        r = client.get(f"/api/v1/surveys/{sid}/responses", headers=headers)
        assert r.status_code == 403, r.text
    elif kind == "export":
        r = client.get(f"/api/v1/surveys/{sid}/responses/export", headers=headers)
        assert r.status_code == 403, r.text
    elif kind == "submit":
        body = {"answers": answers(3), "unit": "n3"}
        r = client.post(f"/api/v1/surveys/{sid}/responses", json=body, headers=headers)
        assert r.status_code == 403, r.text
    elif kind == "import":
        r = client.post(
            f"/api/v1/surveys/{sid}/responses/import", content=b"unit,enps\nn3,5\n",
            headers={**headers, "Content-Type": "text/csv"},
        )  # fmt: skip
        assert r.status_code == 403, r.text
    elif kind == "metrics":
        r = client.get("/api/v1/metrics", params=action["params"], headers=headers)
        assert r.status_code in (200, 403, 404, 422), r.text
        if r.status_code == 200:
            attacker.see_metrics(role, action["params"], r.json())
    elif kind == "compare":
        r = client.get("/api/v1/metrics/compare", params=action["params"], headers=headers)
        assert r.status_code in (200, 403, 404, 422), r.text
        if r.status_code == 200:
            body = r.json()
            attacker.see_metrics(role, action["params"], {"rows": [body["first"], body["second"]]})
    elif kind == "comments":
        r = client.get(f"/api/v1/surveys/{sid}/comments", params=action["params"], headers=headers)
        assert r.status_code in (200, 403, 422), r.text
        if r.status_code == 200:
            attacker.see_comments(action["params"], r.json())


@settings(
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(campaign=STEPS)
def test_no_sequence_of_requests_isolates_a_small_group(
    world: Any, campaign: tuple[str, list[Any]]
) -> None:
    """Each campaign starts as an attacker would, from the whole table of the metric by unit
    and month, then sends its random requests."""
    seeded, server = world
    metric, steps = campaign
    attacker = Attacker(seeded)
    whole = {"survey": "employee-relationship", "metric": metric, "by": "unit,period"}
    base = [("analyst", {"kind": "metrics", "params": {**whole, "period": "month"}})]
    with httpx.Client(base_url=server.url, timeout=120) as client:
        for role, action in [*base, *steps]:
            _perform(client, seeded, attacker, role, action)
    attacker.check()


def test_every_table_at_once_isolates_no_small_group(world: Any) -> None:
    """The thorough attacker: every unit, grain, segment and comment listing, all combined."""
    seeded, server = world
    attacker = Attacker(seeded)
    plans: list[tuple[str, dict[str, Any]]] = []
    for role in ("analyst", "manager"):
        for metric in METRICS:
            for by in ("unit", "unit,period", "period", None):
                for cut in ({}, {"attribute": "role"}, *({"segment": f"role={r}"} for r in ROLES)):
                    params = {"survey": "employee-relationship", "metric": metric, **cut}
                    if by:
                        params["by"] = by
                    if by and "period" in by:
                        params["period"] = "month"
                    plans.append((role, {"kind": "metrics", "params": params}))
                    for code in ("north", "n1", "s1"):
                        plans.append(
                            (role, {"kind": "metrics", "params": {**params, "unit": code}})
                        )
        for code in UNIT_CODES:
            for month in seeded.months:
                params = {"period": f"{month:%Y-%m}", "limit": 1000}
                if code:
                    params["unit"] = code
                plans.append((role, {"kind": "comments", "params": params}))
    with httpx.Client(base_url=server.url, timeout=120) as client:
        for role, action in plans:
            _perform(client, seeded, attacker, role, action)
    assert sum(len(g) for g in attacker.figures.values()) > 50, "the attacker saw too little"
    assert attacker.comment_places, "some comments must be shown"
    attacker.check()
