"""Metric definitions, groupings and item selection (no database)."""

from __future__ import annotations

import pytest

from rapport.analytics.metrics import (
    Dimension,
    Grouping,
    MetricQuery,
    Period,
    ScoredItem,
    Statistic,
    get_metric,
    select_items,
)
from rapport.errors import ValidationFailed


def item(i: int, question: str, qtype: str, tags: str = "", lo=1.0, hi=5.0, version=1, row=""):
    return ScoredItem(i, version, question, row, qtype, tuple(tags.split()), lo, hi, False)


ITEMS = [
    item(1, "nps", "nps", "loyalty.recommend", 0, 10),
    item(2, "nps_staff", "nps", "staff.recommend", 0, 10),
    item(3, "csat", "csat", "satisfaction.overall"),
    item(4, "heart_a", "likert", "heart.delight"),
    item(5, "hearty", "likert", "hearty.thing"),
    item(6, "minds", "matrix", "mind.ease", row="ease"),
    item(7, "minds", "matrix", "mind.fast", row="fast"),
    item(8, "ces", "ces", "mind.effort", 1, 7),
    item(9, "emotions", "emotion_picker", "", 1, 3),
    item(10, "comment", "text", "heart.voice", None, None),
]


@pytest.mark.parametrize(
    ("name", "statistic"),
    [("nps", Statistic.NPS), ("eNPS", Statistic.NPS), ("csat", Statistic.SHARE),
     ("ces", Statistic.MEAN), ("hearts", Statistic.INDEX), ("index:mind.ease", Statistic.INDEX),
     ("emotions", Statistic.EMOTIONS), ("responses", Statistic.COUNT)],
)  # fmt: skip
def test_metric_names_and_aliases(name, statistic) -> None:
    assert get_metric(name).statistic is statistic


@pytest.mark.parametrize("name", ["sales", "index:", "index:heart-x", "index:heart;drop"])
def test_unknown_metrics_are_validation_errors(name) -> None:
    with pytest.raises(ValidationFailed) as caught:
        get_metric(name)
    assert caught.value.errors[0].location == "metric"


def test_grouping_orders_and_implies_dimensions() -> None:
    g = Grouping.of(["survey_version", "unit"], period="Quarter", attribute="role")
    assert g.by == (Dimension.UNIT, Dimension.PERIOD, Dimension.ATTRIBUTE, Dimension.SURVEY_VERSION)
    assert (g.period, g.attribute) == (Period.QUARTER, "role")
    assert g.with_dimension(Dimension.AUDIENCE).by[2] is Dimension.AUDIENCE


@pytest.mark.parametrize(
    ("kwargs", "location"),
    [({"by": ["colour"]}, "by"), ({"by": ["period"]}, "period"), ({"period": "fortnight"}, "period"),
     ({"by": ["attribute"]}, "attribute"), ({"attribute": "x'); drop"}, "attribute")],
)  # fmt: skip
def test_bad_groupings_name_the_field(kwargs, location) -> None:
    with pytest.raises(ValidationFailed) as caught:
        Grouping.of(**kwargs)
    assert [e.location for e in caught.value.errors] == [location]


def test_confidence_is_checked() -> None:
    with pytest.raises(ValueError):
        MetricQuery(get_metric("nps"), confidence=1.5)


def test_nps_prefers_the_loyalty_question() -> None:
    assert [i.id for i in select_items(get_metric("nps"), ITEMS, None, None)] == [1]
    assert [i.id for i in select_items(get_metric("nps"), ITEMS, "nps_staff", None)] == [2]


def test_index_reads_every_tagged_scored_item_and_only_those() -> None:
    hearts = select_items(get_metric("hearts"), ITEMS, None, None)
    assert [i.id for i in hearts] == [4]  # not "hearty", not the text question
    minds = select_items(get_metric("minds"), ITEMS, None, None)
    assert [i.id for i in minds] == [6, 7, 8]
    assert [i.id for i in select_items(get_metric("minds"), ITEMS, "minds", "fast")] == [7]


def test_single_item_metrics_need_one_question() -> None:
    with pytest.raises(ValidationFailed) as caught:
        select_items(get_metric("top_box"), ITEMS, None, None)
    assert caught.value.errors[0].location == "question"
    assert "minds:ease" in caught.value.errors[0].message
    assert [i.id for i in select_items(get_metric("top_box"), ITEMS, "minds", "ease")] == [6]


def test_a_metric_without_items_says_what_it_reads() -> None:
    with pytest.raises(ValidationFailed) as caught:
        select_items(get_metric("csat_mean"), ITEMS[:1], None, None)
    assert "csat" in caught.value.errors[0].message


def test_the_same_question_across_versions_is_one_item() -> None:
    both = [item(1, "csat", "csat"), item(2, "csat", "csat", version=2)]
    assert len(select_items(get_metric("csat_mean"), both, None, None)) == 2


def test_each_version_may_name_its_question_differently() -> None:
    """Without a survey filter the employee ``enps`` and the customer ``nps`` are both NPS."""
    two = [item(1, "nps", "nps", "loyalty.recommend", 0, 10),
           item(2, "enps", "nps", "loyalty.recommend_employer", 0, 10, version=2)]  # fmt: skip
    assert [i.id for i in select_items(get_metric("nps"), two, None, None)] == [1, 2]
