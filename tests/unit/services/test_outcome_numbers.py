"""The outcomes import's fast number path agrees with the cell-by-cell one, and periods
round-trip through their labels."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from rapport.domain.outcomes import Grain, parse_period, period_label
from rapport.services.outcome_import import _number, _numbers

CELLS = st.lists(st.text(alphabet="0123456789.-+eE_naifINF ", max_size=8), max_size=6)


@given(CELLS)
def test_the_fast_path_reads_what_the_careful_one_reads(column: list[str]) -> None:
    fast = _numbers(column)
    careful = [_number(v) if v else None for v in column]
    if fast is not None:  # taken only when every non-empty cell is a plain number
        assert fast == careful
        assert all(n is not None for v, n in zip(column, fast, strict=True) if v)


def test_numbers_a_spreadsheet_would_show() -> None:
    assert _numbers(["1234.5", "-3", "1.2e3", ""]) == [1234.5, -3.0, 1200.0, None]
    for text in ("nan", "inf", "-Infinity", "1_000", "12O0", "1,5"):
        assert _number(text) is None, text


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)), st.sampled_from(Grain))
def test_every_period_label_parses_back_to_its_first_day(day: date, grain: Grain) -> None:
    if grain is Grain.WEEK:
        start = day - timedelta(days=day.weekday())
    elif grain is Grain.MONTH:
        start = day.replace(day=1)
    else:
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    assert parse_period(period_label(grain, start)) == (grain, start)
