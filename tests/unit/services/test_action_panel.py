"""Which units an action's effect compares (``services.actions.did_panel``): treated units
under the action at the deepest level with data, comparison units of the same kind covered
by no other action and not in decline, and hidden (suppressed) cells missing, never read."""

from __future__ import annotations

from datetime import date

import numpy as np

from rapport.domain.actions import Action
from rapport.domain.org import UnitKind
from rapport.services.actions import did_panel
from rapport.services.metrics import ResultRow

MONTHS = [date(2026, m, 1) for m in range(1, 10)]


def _action(action_id: int, code: str, path: str) -> Action:
    return Action(action_id, action_id, code, code, path, "fresh_experience", "t", "", "",
                  date(2026, 4, 1), None, None, None)  # fmt: skip


def _row(path: str, period: date, value: float, *, suppressed: bool = False) -> ResultRow:
    return ResultRow(
        n=30, value=None if suppressed else value, lower=value - 3, upper=value + 3,
        method="t", sufficiency="ok", suppressed=suppressed,
        reason="below threshold" if suppressed else None, unit_path=path,
        unit_code=path.rsplit("/", 1)[-1], unit_depth=path.count("/"), period=period,
    )  # fmt: skip


def test_the_panel_compares_like_with_like_and_never_reads_a_hidden_cell() -> None:
    stores = {
        "org/west/w1": UnitKind.STORE, "org/west/w2": UnitKind.STORE,
        "org/east/e1": UnitKind.STORE, "org/east/e2": UnitKind.STORE,
        "org/east/e3": UnitKind.STORE, "org/east/hq": UnitKind.DEPARTMENT,
        "org/north/n1": UnitKind.STORE, "org/north/n2": UnitKind.STORE,
    }  # fmt: skip
    kinds = {"org": UnitKind.COMPANY, "org/west": UnitKind.REGION, **stores}
    rows = [_row(p, m, 60.0) for p in [*stores, "org/west", "org"] for m in MONTHS]
    rows = [r for r in rows if not (r.unit_code == "w2" and r.period == MONTHS[2])]
    rows.append(_row("org/west/w2", MONTHS[2], 99.0, suppressed=True))  # a hidden cell
    falling = {"n2": [60.0 - 4 * i for i in range(len(MONTHS))]}  # a comparison in decline
    rows = [
        _row(r.unit_path or "", r.period or MONTHS[0], falling["n2"][MONTHS.index(r.period)])
        if r.unit_code == "n2" and r.period is not None else r
        for r in rows
    ]  # fmt: skip
    west = _action(1, "west", "org/west")
    other = _action(2, "e3", "org/east/e3")
    panel, treated, controls, excluded = did_panel(rows, [west.unit_path], [other.unit_path], kinds)
    assert treated == {"w1", "w2"}
    assert controls == {"e1", "e2", "n1"}  # hq is a department; e3 has its own action
    assert excluded == {"e3", "n2"}
    assert set(panel["unit"]) == treated | controls
    hidden = panel[(panel["unit"] == "w2") & (panel["period"] == np.datetime64(MONTHS[2]))]
    assert len(hidden) == 1 and np.isnan(hidden["value"].iloc[0])
    assert 99.0 not in set(panel["value"])
