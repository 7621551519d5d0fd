"""Closed-loop metrics on every engine against the pandas oracle (``oracle.py``).

Cases of the conformance dataset (``conftest.add_cases``) are seeded: first contact by a
note or a status change (an owner change is no contact), resolution, escalation, follow-up
responses, repeat pairs at exactly 30 days and one microsecond past. Each engine's table —
groups, ``n``, value and both interval bounds, the successes of a share — must equal the
oracle's to 1e-9.
"""

from __future__ import annotations

import pytest

from rapport.analytics.metrics import CASE_METRICS, Filters, Grouping, MetricQuery, get_metric
from rapport.analytics.metrics.results import compute_metric
from tests.conformance.conftest import SOURCE
from tests.conformance.oracle import Cut, expected_case_table
from tests.conformance.test_metrics_oracle import ENGINES, _close, engine_rows

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("metrics-conformance")]

CUSTOMER, EMPLOYEE = 1, 2
CUTS = {
    "total": (Cut(), None),
    "all-surveys-by-audience": (Cut(("audience",)), None),
    "unit": (Cut(("unit",)), (CUSTOMER,)),
    "week": (Cut(("period",), period="week"), (CUSTOMER,)),
    "month": (Cut(("period",), period="month"), None),
    "quarter": (Cut(("period",), period="quarter"), (CUSTOMER,)),
    "year": (Cut(("period",), period="year"), (CUSTOMER,)),
    "version": (Cut(("survey_version",)), (CUSTOMER,)),
    "employee-unit-month": (Cut(("unit", "period"), period="month"), (EMPLOYEE,)),
}
_CACHE: dict[tuple, dict] = {}


@pytest.mark.parametrize("cut", CUTS, ids=CUTS.keys())
@pytest.mark.parametrize("metric", sorted(CASE_METRICS))
@pytest.mark.parametrize("engine", ENGINES)
def test_case_metrics_match_the_oracle(conformance, engine, metric, cut) -> None:
    shape, survey_ids = CUTS[cut]
    if metric == "cases.recovery_effect" and survey_ids == (EMPLOYEE,):
        pytest.skip("follow-up surveys go to customers")
    key = (SOURCE[engine], metric, cut)
    if key not in _CACHE:
        _CACHE[key] = expected_case_table(conformance.frames_of(engine), metric, shape, survey_ids)
    expected = _CACHE[key]
    grouping = Grouping.of(
        [d for d in shape.by if d not in ("period", "attribute")], shape.period, shape.attribute
    )
    query = MetricQuery(get_metric(metric), grouping, Filters(survey_ids))
    got = engine_rows(compute_metric(conformance.engines[engine], query))
    assert got.keys() == expected.keys(), (engine, metric, got.keys() ^ expected.keys())
    for where, want in expected.items():
        row = got[where]
        e = row.estimate  # type: ignore[attr-defined]
        observed = (row.n, e.value, e.lower, e.upper)  # type: ignore[attr-defined]
        assert row.n == want.n, (engine, metric, where, observed, want)  # type: ignore[attr-defined]
        for value, target in zip(observed[1:], (want.value, want.lower, want.upper), strict=True):
            assert _close(value, target), (engine, metric, where, observed, want)
        for name, count in want.detail.items():
            assert row.detail[name] == count, (engine, metric, where, name)  # type: ignore[attr-defined]
    assert sum(w.n for (k, _), w in expected.items() if all(v is not None for v in k)) > 0


def test_the_cases_exercise_every_definition(conformance) -> None:
    """The traps are in the data on both databases: contacts by note and by status, owner
    changes, escalations, follow-ups both ways, repeats by person and by unit and rule."""
    for source, frames in conformance.sources.items():
        c, events = frames["cases"], frames["case_events"]
        assert len(frames["case_notes"]) > 20 and (events.kind == "status").sum() > 20, source
        assert (events.kind == "owner").any() and (c.escalation_level > 0).any(), source
        assert c.follow_up_response_id.notna().sum() >= 10, source
        assert c.response_id.isna().sum() >= 10, source  # opened by hand
        table = expected_case_table(frames, "cases.repeat_issue_rate", Cut(), None)
        repeats = table[((), None)].detail["successes"]
        assert 0 < repeats < table[((), None)].n, source
        recovery = expected_case_table(frames, "cases.recovery_effect", Cut(), None)[((), None)]
        assert recovery.n >= 10 and recovery.lower is not None, source
