"""The unit × period panel that analyses read: experience figures beside business outcomes.

Experience figures (hearts, minds, NPS, ... of one or more surveys) come from
:func:`rapport.services.metrics.compute` — permission checks, manager scope and employee
suppression included: a hidden employee group is a missing value (NaN), never a number.
Outcomes are each unit's figure by the roll-up rule of :mod:`rapport.services.outcomes`
(a region's revenue is its stores' sum), so a region row's experience and outcome figures
describe the same units.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import Principal
from rapport.domain.outcomes import Grain
from rapport.services import outcomes
from rapport.services.metrics import MetricRequest, compute
from rapport.storage.uow import UnitOfWork

KEYS = ["unit", "unit_path", "unit_depth", "period"]


def outcome_panel(
    uow: UnitOfWork,
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    surveys: Sequence[int | str],
    *,
    grain: Grain | str = Grain.MONTH,
    metrics: Sequence[str] = ("hearts", "minds", "nps"),
    names: Sequence[str] | None = None,
    unit: str | None = None,
) -> pd.DataFrame:
    """One row per unit × period of ``grain`` (units of ``unit``'s subtree, default all
    the principal sees) with any figure: ``unit``, ``unit_path``, ``unit_depth``,
    ``period`` (first day), a column ``<survey>.<metric>`` and ``<survey>.<metric>.n``
    per survey and metric, and a column per outcome (``names``, default all stored at
    that grain). Missing or hidden figures are NaN.

    Example::

        outcome_panel(uow, engine, analyst, policy,
                      ["employee-relationship", "customer-relationship"], grain="month")
    """
    kind = Grain(grain).value
    top, units = outcomes.scope(uow, principal, unit)
    frames: list[pd.DataFrame] = []
    for survey in surveys:
        for metric in metrics:
            request = MetricRequest(
                survey=survey, metric=metric, by=["unit", "period"], period=kind, unit=unit
            )
            result = compute(engine, principal, request, policy)
            label = f"{result.survey.key if result.survey else survey}.{metric}"
            frames.append(
                pd.DataFrame(
                    [
                        (r.unit_code, r.unit_path, r.unit_depth, r.period, r.value, r.n)
                        for r in result.rows
                        if r.unit_code is not None and r.period is not None
                    ],
                    columns=[*KEYS, label, f"{label}.n"],
                ).astype({label: "float64"})
            )
    stored = uow.outcomes.rows([u.id for u in units], names=names, grain=kind)
    by_id = {u.id: u for u in units}
    rolled = outcomes.rolled_up(units, stored)
    wide = pd.DataFrame(
        [
            (by_id[uid].code, by_id[uid].path, by_id[uid].path.count("/"), p, n, value)
            for (uid, _, p, n), (value, _) in rolled.items()
        ],
        columns=[*KEYS, "name", "value"],
    )
    if not wide.empty:
        frames.append(
            wide.pivot_table(index=KEYS, columns="name", values="value", aggfunc="first")
            .reset_index()
            .rename_axis(columns=None)
        )
    panel: pd.DataFrame | None = None
    for frame in frames:
        panel = frame if panel is None else panel.merge(frame, on=KEYS, how="outer")
    if panel is None:
        return pd.DataFrame(columns=KEYS)
    panel["period"] = pd.to_datetime(panel["period"])
    panel["unit_depth"] = panel["unit_depth"].astype("int64")
    panel.attrs.update(grain=kind, unit=top.code)
    return panel.sort_values(["unit_path", "period"], ignore_index=True)
