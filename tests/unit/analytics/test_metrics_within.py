"""``within`` (``attribute=value`` as a filter): SQL condition, aggregates fallback, refusals.
Its figures are checked end to end against pandas in tests/integration/test_tenure_api.py."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from rapport.analytics.metrics import Filters, MetricQuery, get_metric
from rapport.analytics.metrics.aggregates import fallback_reason
from rapport.analytics.metrics.sql import response_conditions
from rapport.errors import ValidationFailed
from rapport.services.metrics import _within


def test_within_is_a_where_on_the_attribute_in_every_dialect() -> None:
    (condition,) = response_conditions(Filters(within=("segment", "premium")))
    lite = str(condition.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    assert "json_extract" in lite and "'$.\"segment\"'" in lite and "'premium'" in lite
    pg = str(condition.compile(dialect=postgresql.dialect()))
    assert "->>" in pg and "premium" not in pg  # the value is bound, not rendered


def test_within_is_answered_from_raw_rows_not_aggregates() -> None:
    hearts = get_metric("hearts")
    assert fallback_reason(MetricQuery(hearts)) is None
    within = MetricQuery(hearts, filters=Filters(within=("segment", "premium")))
    assert fallback_reason(within) == "responses within a person attribute are not aggregated"


def test_within_is_refused_when_malformed_or_protected() -> None:
    assert _within(" segment = premium ", protected=False) == ("segment", "premium")
    for text in ("premium", "=x", "segment=", "a b=c"):
        with pytest.raises(ValidationFailed) as caught:
            _within(text, protected=False)
        assert caught.value.errors[0].location == "segment"
    with pytest.raises(ValidationFailed, match="one attribute at a time"):
        _within("role=cashier", protected=True)
