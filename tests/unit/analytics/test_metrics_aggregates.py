"""The one rule for when ``metric_aggregates`` may answer a metric query, and the helpers
that map their months to periods."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.analytics.metrics import Filters, Grouping, MetricQuery, Period, get_metric
from rapport.analytics.metrics.aggregates import (
    aggregate_statements,
    fallback_reason,
    month_boundary,
    period_of_month,
)
from rapport.domain.survey.rows import tag_prefixes
from rapport.storage.aggregates import id_runs

ANSWERED = ["responses", "nps", "csat_top2", "csat_mean", "ces_mean", "top_box", "hearts",
            "minds", "index:relationship.fresh", "emotions", "comment_emotions",
            "comment_sentiment"]  # fmt: skip
CUTS = {
    "total": Grouping.of([]),
    "unit × month": Grouping.of(["unit"], period="month"),
    "quarter": Grouping.of([], period="quarter"),
    "year × version × audience": Grouping.of(["survey_version", "audience"], period="year"),
}


@pytest.mark.parametrize("cut", CUTS.values(), ids=CUTS.keys())
@pytest.mark.parametrize("metric", ANSWERED)
def test_cuts_that_nest_in_months_are_answered(metric: str, cut: Grouping) -> None:
    window = Filters(
        survey_ids=(1,),
        since=datetime(2025, 1, 1, tzinfo=UTC),
        until=datetime(2025, 7, 1, 2, tzinfo=timezone(timedelta(hours=2))),  # midnight UTC
    )
    assert fallback_reason(MetricQuery(get_metric(metric), cut, window)) is None


def test_response_counts_and_top_level_indices_by_person_attribute_are_answered() -> None:
    """Responses by attribute come from ``attribute_aggregates``, hearts and minds from
    ``attribute_index_aggregates``; other metrics by attribute (a sub-construct's index
    too) still read the answers."""
    by_role = Grouping.of(["unit"], period="month", attribute="role")
    for metric in ("responses", "hearts", "minds", "index:relationship"):
        assert fallback_reason(MetricQuery(get_metric(metric), by_role)) is None, metric
    for metric in ("nps", "index:heart.delight", "csat_mean"):
        reason = fallback_reason(MetricQuery(get_metric(metric), by_role)) or ""
        assert "response counts and top-level indices only" in reason, metric


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (
            MetricQuery(get_metric("comment_emotions"), filters=Filters(within=("role", "x"))),
            "within a person attribute",
        ),
        (
            MetricQuery(get_metric("comment_sentiment"), Grouping.of([], period="week")),
            "weeks",
        ),
        (MetricQuery(get_metric("responses"), filters=Filters(within=("role", "x"))), "within"),
        (MetricQuery(get_metric("response_rate")), "rates count invitations or people"),
        (MetricQuery(get_metric("comment_relationship")), "relationship emotions"),
        (MetricQuery(get_metric("nps"), Grouping.of([], attribute="segment")), "attributes"),
        (MetricQuery(get_metric("hearts"), Grouping.of(["unit"], period="week")), "weeks"),
        (
            MetricQuery(get_metric("nps"), filters=Filters(since=datetime(2025, 1, 2))),
            "month boundaries",
        ),
        (
            MetricQuery(get_metric("nps"), filters=Filters(until=datetime(2025, 2, 1, 0, 0, 1))),
            "month boundaries",
        ),
        (
            MetricQuery(  # midnight on the 1st in Paris is 23:00 UTC the day before
                get_metric("nps"),
                filters=Filters(since=datetime(2025, 2, 1, tzinfo=timezone(timedelta(hours=1)))),
            ),
            "month boundaries",
        ),
        (MetricQuery(get_metric("hearts"), question="heart_delight"), "one question"),
    ],
)
def test_everything_else_falls_back_to_the_answers(query: MetricQuery, reason: str) -> None:
    found = fallback_reason(query)
    assert found is not None and reason in found
    with pytest.raises(ValueError, match="cannot answer"):
        aggregate_statements(query, [], frozenset())


def test_a_single_question_metric_named_by_question_still_reads_the_aggregates() -> None:
    assert fallback_reason(MetricQuery(get_metric("top_box"), question="fresh")) is None


@given(st.dates(date(1990, 1, 1), date(2100, 12, 31)))
def test_months_map_to_the_period_they_fall_in(day: date) -> None:
    month = day.replace(day=1)
    quarter = period_of_month(month, Period.QUARTER)
    assert quarter.day == 1 and quarter.month in (1, 4, 7, 10)
    assert quarter <= month < quarter.replace(month=quarter.month + 2, day=28)
    assert period_of_month(month, Period.YEAR) == date(day.year, 1, 1)
    assert period_of_month(month, Period.MONTH) == month


@given(st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)))
def test_a_month_boundary_is_midnight_utc_on_the_first(moment: datetime) -> None:
    expected = moment.day == 1 and moment.time() == datetime.min.time()
    assert month_boundary(moment) is expected
    assert month_boundary(moment.replace(tzinfo=UTC)) is expected


@given(st.lists(st.integers(1, 200), max_size=40))
def test_id_runs_cover_exactly_the_ids(ids: list[int]) -> None:
    runs = list(id_runs(ids))
    covered = [i for lo, hi in runs for i in range(lo, hi + 1)]
    assert covered == sorted(set(ids))
    assert all(b[0] > a[1] + 1 for a, b in itertools.pairwise(runs))


def test_an_item_counts_towards_each_tag_and_every_prefix_of_it() -> None:
    assert tag_prefixes(("heart.cared.deeply", "mind")) == [
        "heart", "heart.cared", "heart.cared.deeply", "mind",
    ]  # fmt: skip
    assert tag_prefixes("") == []
