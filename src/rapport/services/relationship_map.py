"""What the organisation map and the home page show of relationship health: every unit's
stage by period grouped by region, and the units that need attention now, with why
(``docs/relationship-health.md``, "Pages").

The rows are :func:`rapport.services.relationships.relationship_health`'s (metrics through
the metrics service: manager scope and employee suppression included); this module only
groups, orders and picks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.analytics.suppression.cache import content_key
from rapport.domain.org import Principal
from rapport.errors import ValidationFailed
from rapport.services import metrics, surveys
from rapport.services.clock import utcnow
from rapport.services.metric_memo import MetricMemo
from rapport.services.relationships import (
    HealthRow,
    RelationshipHealth,
    as_frame,
    relationship_health,
)
from rapport.storage.uow import Database

DECLINE = ("taken_for_granted", "at_risk")
SEVERITY = {"at_risk": 0, "taken_for_granted": 1}
#: The map's columns, in its CSV download.
MAP_COLUMNS = (
    "region", "unit", "unit_name", "period_label", "stage", "probability", "alarm",
    "hearts", "minds", "n", "evidence",
)  # fmt: skip


@dataclass(frozen=True)
class Attention:
    """The units needing attention now on one customer survey (``rows``: a frame of
    :data:`rapport.services.relationships.COLUMNS`, most severe first)."""

    survey_key: str
    survey_title: str
    period: str
    rows: pd.DataFrame


def default_survey(listed: list[dict[str, Any]]) -> str | None:
    """The first customer survey (relationships are read from the customer side first)."""
    customer = [s for s in listed if s.get("audience") == "customer"]
    chosen = customer or listed
    return str(chosen[0]["key"]) if chosen else None


def needs_attention(frame: pd.DataFrame) -> pd.DataFrame:
    """Each unit's latest period when it is alarmed or staged down: alarmed first, then
    at risk before taken for granted, lowest hearts first (equal hearts, as a region's and
    its one store's: by unit code)."""
    if frame.empty:
        return frame
    latest = frame.sort_values("period").groupby("unit").tail(1)
    needs = latest[latest["alarm"] | latest["stage"].isin(DECLINE)].copy()
    needs["severity"] = [SEVERITY.get(s, 2) - (3 if a else 0) for s, a in
                         zip(needs["stage"], needs["alarm"], strict=True)]  # fmt: skip
    ordered = needs.sort_values(["severity", "hearts", "unit"], na_position="last")
    return ordered.drop(columns="severity")


def organisation_map(db: Database, health: RelationshipHealth) -> pd.DataFrame:
    """The health rows as a frame with ``region`` (the name of the unit's top-level part
    under the root; the root's own rows read as the root), ordered root first, then each
    region's own row before its units, as the organisation tree lists them."""
    frame = as_frame(health.rows)
    with db.unit_of_work(readonly=True) as uow:
        units = uow.units.all()
    names = {u.path: u.name for u in units}
    place = {u.code: i for i, u in enumerate(sorted(units, key=lambda u: u.path))}
    regions = {}
    for u in units:
        parts = u.path.split("/")
        regions[u.code] = names.get("/".join(parts[:2]), u.name)
    codes = frame["unit"].tolist()
    frame["region"] = [regions.get(code, code) for code in codes]
    frame["place"] = [place.get(code, len(place)) for code in codes]
    ordered = frame.sort_values(["place", "period"], kind="stable").drop(columns="place")
    return ordered.reset_index(drop=True)


def attention_now(
    db: Database,
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    memo: MetricMemo | None = None,
    listed: list[dict[str, Any]] | None = None,
) -> Attention | None:
    """The home page's list: units the principal sees needing attention in their latest
    month on the default customer survey; None when there is no survey to read it from or
    the survey has no hearts and minds items.

    Kept in ``services.metrics.KEPT`` under the engine's data version (read before any
    statement), the survey, the principal's role and unit, the policy and today's date:
    any commit that writes data gives a new version, so a kept list is never served after
    one; the figures it is made of are read and checked the same way (``metrics.compute``).
    """
    version = engine.data_version()
    if listed is None:  # the home page passes the surveys it already listed
        with db.unit_of_work(readonly=True) as uow:
            listed = surveys.list_surveys(uow, principal)
    key = default_survey(listed)
    if key is None:
        return None
    if version is None:
        return _attention(engine, principal, policy, memo, key)
    who = (principal.role, principal.unit_path)
    return metrics.kept_value(
        content_key(["attention", version, engine.name, key, who, policy, utcnow().date()]),
        lambda: _attention(engine, principal, policy, memo, key),
        lambda found: 0 if found is None else 4 * len(found.rows),
    )


def _attention(
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    memo: MetricMemo | None,
    survey: str,
) -> Attention | None:
    try:
        health = relationship_health(engine, principal, survey, policy, "month", memo=memo)
    except ValidationFailed:
        return None
    latest: dict[str, HealthRow] = {}  # only each unit's latest row can need attention
    for row in health.rows:
        found = latest.get(row.unit)
        if found is None or row.period > found.period:
            latest[row.unit] = row
    rows = needs_attention(as_frame(list(latest.values())))
    return Attention(health.survey_key, health.survey_title, health.period, rows)
