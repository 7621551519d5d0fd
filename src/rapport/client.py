"""The Python API for analysts: ``rapport.connect(...)`` then ``.metrics(...)`` as DataFrames.

>>> import rapport.client as rc
>>> with rc.connect("sqlite:///var/rapport.db") as r:                    # doctest: +SKIP
...     r.metrics(survey="customer-relationship", metric="nps", by=["unit"], period="month")

Results pass through the same service as the pages and the REST API
(:func:`rapport.services.metrics.compute`): permission checks, anonymity suppression of
employee groups, manager scope. The default principal is :data:`ANALYST`, a system principal
with the *analyst* role — it sees the whole organisation, never a hidden group. Pass
``principal=`` to act as someone else (a manager sees only their subtree).

Engines: ``engine="operational"`` (default) queries the database; ``engine="duckdb"`` queries
the Parquet snapshot in ``snapshot_dir`` (write one with :meth:`Client.snapshot`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd

from rapport.analytics.engines import AnalyticsEngine, open_engine
from rapport.analytics.metrics import BUILTIN_METRICS
from rapport.analytics.snapshot import SnapshotInfo, write_snapshot
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import Principal, Role
from rapport.exporters import roi_report
from rapport.services import actions as actions_service
from rapport.services import drivers as drivers_service
from rapport.services import linkage as linkage_service
from rapport.services import metrics as metrics_service
from rapport.services import outcomes as outcomes_service
from rapport.services import relationships as relationships_service
from rapport.services import risk as risk_service
from rapport.services import roi as roi_service
from rapport.services import tenure as tenure_service
from rapport.services.outcome_panel import outcome_panel
from rapport.settings import Settings, get_settings
from rapport.storage.uow import Database

ANALYST = Principal(kind="system", id=None, name="python-client", role=Role.ANALYST)
"""The default principal of :func:`connect`: analyst rights over the whole organisation."""

ROW_COLUMNS = (
    "unit_id",
    "unit_path",
    "unit_code",
    "unit_name",
    "unit_depth",
    "period",
    "period_label",
    "audience",
    "attribute",
    "survey_version",
    "emotion",
    "n",
    "value",
    "lower",
    "upper",
    "method",
    "sufficiency",
    "suppressed",
    "reason",
)


class Client:
    """A connection for analysis; use :func:`connect` to make one."""

    def __init__(
        self,
        database: Database,
        engine: AnalyticsEngine,
        principal: Principal,
        policy: SuppressionPolicy,
    ) -> None:
        self.database = database
        self.engine = engine
        self.principal = principal
        self.policy = policy

    def metrics(
        self,
        survey: int | str | None = None,
        metric: str = "nps",
        by: Sequence[str] | str = (),
        period: str | None = None,
        *,
        attribute: str | None = None,
        audience: str | None = None,
        unit: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        question: str | None = None,
        item: str | None = None,
        confidence: float = 0.95,
        detail: bool = False,
        segment: str | None = None,
    ) -> pd.DataFrame:
        """One row per group: dimensions, ``n``, ``value``, ``lower``, ``upper``, ``method``,
        ``sufficiency``, ``suppressed``, ``reason`` (plus the statistics behind each value
        with ``detail=True``). Columns of dimensions not grouped by are dropped.

        Example::

            r.metrics("employee-relationship", "hearts", by="unit", period="quarter")
            r.metrics("customer-relationship", "nps", by="unit", segment="segment=premium")
        """
        result = metrics_service.compute(
            self.engine,
            self.principal,
            self._request(
                survey,
                metric,
                by,
                period,
                attribute,
                audience,
                unit,
                since,
                until,
                question,
                item,
                confidence,
                segment,
            ),
            self.policy,
        )
        return _frame(result.rows, detail)

    def relationship_health(
        self, survey: int | str, period: str = "month", *, signals: bool = True
    ) -> pd.DataFrame:
        """Relationship stage and decline alarm of every unit per period
        (``docs/relationship-health.md``): one row per unit × period with ``unit`` (code),
        ``unit_name``, ``period``, ``period_label``, ``stage``, ``probability``, ``alarm``,
        ``hearts``, ``minds``, ``n`` and ``evidence`` — the columns of
        ``GET /api/v1/relationships``. The further signals of both sides are a long frame
        in ``.attrs["signals"]``: ``unit``, ``period``, ``name``, ``side``, ``value``,
        ``lower``, ``upper``, ``n``, ``suppressed``, ``note`` (``signals=False`` skips them).

        Example::

            r.relationship_health("customer-relationship", period="month")
        """
        found = relationships_service.relationship_health(
            self.engine, self.principal, survey, self.policy, period, signals=signals
        )
        return relationships_service.as_frame(found.rows)

    def action_effect(self, action: int, survey: int | str, metric: str = "hearts") -> pd.DataFrame:
        """An action's estimated effect (difference in differences,
        ``docs/relationship-health.md`` "Effects of actions"): one row with the columns of
        ``GET /api/v1/actions/{id}/effect`` — ``estimate``, ``lower``, ``upper``, ``method``,
        ``pre_trend_p``, ``n_treated``, ``n_control``, ``verdict``, ``message`` … — and the
        event study as a frame in ``.attrs["event_study"]`` (``relative_period``,
        ``estimate``, ``lower``, ``upper``).

        Example::

            r.action_effect(1, "customer-relationship", metric="hearts")
        """
        found = actions_service.action_effect(
            self.database, self.engine, self.principal, action, survey, self.policy, metric
        )
        e = found.effect
        row = {
            "action": found.action.id,
            "unit": found.action.unit_code,
            "survey": found.survey_key,
            "metric": found.metric,
            "estimate": e.estimate,
            "lower": e.lower,
            "upper": e.upper,
            "p_value": e.p_value,
            "method": e.method,
            "pre_trend_p": e.pre_trend_p,
            "n_treated": e.n_treated,
            "n_control": e.n_control,
            "verdict": e.verdict,
            "message": e.message,
        }
        frame = pd.DataFrame([row])
        frame.attrs["event_study"] = pd.DataFrame(
            [vars(p) for p in e.event_study],
            columns=["relative_period", "estimate", "lower", "upper"],
        )
        return frame

    def outcomes(
        self,
        unit: str | None = None,
        outcome: str | None = None,
        grain: str | None = None,
        *,
        rollup: bool = False,
    ) -> pd.DataFrame:
        """Business outcomes (``docs/outcomes.md``): one row per figure with ``unit``
        (code), ``period`` (first day), ``period_label``, ``grain``, ``name``, ``value``,
        ``units`` and ``rollup`` — the columns of ``GET /api/v1/outcomes``. With
        ``rollup=True``, ``unit``'s own series made from its subtree (sums of money and
        counts, means of rates).

        Example::

            r.outcomes(unit="west", outcome="revenue", grain="month", rollup=True)
        """
        with self.database.unit_of_work(readonly=True) as uow:
            found = outcomes_service.list_outcomes(
                uow, self.principal, unit=unit, outcome=outcome, grain=grain, rollup=rollup
            )
        columns = list(outcomes_service.OutcomeValue.__dataclass_fields__)
        frame = pd.DataFrame([vars(v) for v in found], columns=columns)
        frame["period"] = pd.to_datetime(frame["period"])
        return frame

    def outcome_panel(
        self,
        surveys: Sequence[int | str] | int | str,
        grain: str = "month",
        metrics: Sequence[str] = ("hearts", "minds", "nps"),
        *,
        outcomes: Sequence[str] | None = None,
        unit: str | None = None,
    ) -> pd.DataFrame:
        """The unit × period frame analyses read: ``<survey>.<metric>`` (and ``.n``) per
        survey and metric beside a column per outcome, rolled up like the outcomes
        (:func:`rapport.services.outcome_panel.outcome_panel`; hidden groups are NaN).

        Example::

            r.outcome_panel(["employee-relationship", "customer-relationship"], "month")
        """
        chosen = [surveys] if isinstance(surveys, int | str) else list(surveys)
        with self.database.unit_of_work(readonly=True) as uow:
            return outcome_panel(
                uow,
                self.engine,
                self.principal,
                self.policy,
                chosen,
                grain=grain,
                metrics=metrics,
                names=outcomes,
                unit=unit,
            )

    def tenure_curve(
        self,
        survey: int | str,
        metric: str = "hearts",
        *,
        unit: str | None = None,
        segment: str | None = None,
    ) -> pd.DataFrame:
        """Honeymoon curve (``docs/relationship-health.md``): one row per tenure band with
        ``band``, ``lower_days``, ``upper_days``, ``estimate``, ``lower``, ``upper``, ``n``
        and ``suppressed`` — the bands of ``GET /api/v1/relationships/tenure``. The largest
        significant fall is ``frame.attrs["fall"]`` (a dict, or None) and the units that
        keep relationships fresh longer ``frame.attrs["fresher_units"]`` (a DataFrame).

        Example::

            curve = r.tenure_curve("customer-relationship", metric="hearts")
            curve.attrs["fall"]["band"]  # '3-12m'
        """
        found = tenure_service.tenure_curve(
            self.engine, self.principal, survey, self.policy, metric, unit=unit, segment=segment
        )
        frame = tenure_service.as_frame(found)
        frame.attrs["fall"] = None if found.fall is None else dict(vars(found.fall))
        frame.attrs["fresher_units"] = pd.DataFrame(
            [vars(f) for f in found.fresher_units], columns=list(tenure_service.FRESHER_COLUMNS)
        )
        return frame

    def metrics_polars(self, *args: Any, **kwargs: Any) -> Any:
        """:meth:`metrics` as a polars DataFrame (needs ``polars`` installed)."""
        import polars  # optional dependency

        return polars.from_pandas(self.metrics(*args, **kwargs))

    def compare(
        self,
        survey: int | str,
        metric: str,
        first: dict[str, str],
        second: dict[str, str],
        *,
        period: str | None = None,
        attribute: str | None = None,
        alpha: float = 0.05,
    ) -> metrics_service.Comparison:
        """``first − second`` with a p-value, e.g. ``first={"unit": "west"}``."""
        request = metrics_service.MetricRequest(
            survey=survey, metric=metric, period=period, attribute=attribute
        )
        return metrics_service.compare(
            self.engine, self.principal, request, first, second, self.policy, alpha
        )

    def reliability(
        self, survey: int | str, construct: str = "hearts", unit: str | None = None
    ) -> metrics_service.ReliabilityResult:
        """Cronbach's α and McDonald's ω of an index (``hearts``, ``minds``, ``index:…``)."""
        return metrics_service.reliability(
            self.engine, self.principal, survey, construct, self.policy, unit
        )

    def drivers(
        self,
        survey: int | str,
        outcome: str = "nps",
        drivers: Sequence[str] | str | None = None,
        method: str = "relative_weights",
        *,
        unit: str | None = None,
        confidence: float = 0.95,
        n_boot: int = 1000,
        seed: int = 0,
    ) -> pd.DataFrame:
        """Key drivers of ``outcome``, ranked: one row per driver with ``driver``,
        ``construct`` (hearts/minds/other), ``weight`` (part of R²) and its bootstrap
        ``lower``/``upper``, ``share`` of R², and the current ``mean`` score 0–100 with
        ``mean_lower``/``mean_upper`` (None for employee surveys). ``attrs`` holds ``n``,
        ``n_dropped``, ``r_squared``, ``method``, ``confidence`` and ``n_boot``.

        Example::

            r.drivers("customer-relationship", "nps", drivers=["hearts", "minds"])
            r.drivers("customer-relationship", "nps", method="lmg")  # hearts/minds items
        """
        names = [drivers] if isinstance(drivers, str) else list(drivers or ())
        request = drivers_service.DriverRequest(
            survey, outcome, names, method, unit, confidence, n_boot, seed
        )
        found = drivers_service.key_drivers(self.engine, self.principal, request, self.policy)
        frame = pd.DataFrame(
            [vars(row) for row in found.rows],
            columns=list(drivers_service.DriverRow.__dataclass_fields__),
        )
        frame.attrs.update(
            n=found.n,
            n_dropped=found.n_dropped,
            r_squared=found.r_squared,
            method=found.method,
            confidence=found.confidence,
            n_boot=found.n_boot,
        )
        return frame

    def linkage(
        self,
        employee_survey: int | str,
        customer_survey: int | str,
        outcome: pd.DataFrame | Sequence[str] | str | None = None,
        lag: int = 1,
        period: str = "month",
        *,
        indices: Sequence[str] = ("hearts", "minds"),
        unit: str | None = None,
        confidence: float = 0.95,
        log_outcomes: Sequence[str] = linkage_service.LOG_OUTCOMES,
    ) -> pd.DataFrame:
        """Service-profit linkage paths: employee index (t − ``lag``) → customer index (t)
        → each ``outcome`` column (t), per unit, each at three levels (``within``: units
        compared with themselves; ``pooled``; ``between``: unit means), corrected for the
        indices' sampling error. Columns ``source``, ``target``, ``level``, ``estimate``,
        ``lower``, ``upper``, ``standardised``, ``n_units``, ``n_periods`` and more
        (docs/linkage.md); ``attrs["statement"]`` is the headline in plain words.

        ``outcome``: the names of stored outcomes (``"revenue"``), or a frame with ``unit``
        (code), ``period`` (date or ``YYYY-MM``) and one numeric column per outcome, or long
        ``metric``/``value`` columns. Example::

            r.linkage("employee-relationship", "customer-relationship", "revenue", lag=1)
        """
        given = outcome if isinstance(outcome, pd.DataFrame) else None
        if outcome is not None and given is None:
            names = [outcome] if isinstance(outcome, str) else [str(n) for n in outcome]
            with self.database.unit_of_work(readonly=True) as uow:
                given = linkage_service.stored_outcomes(uow, self.principal, names, period)
        request = linkage_service.LinkageRequest(
            employee_survey,
            customer_survey,
            tuple(indices),
            lag,
            period,
            unit,
            confidence,
            tuple(log_outcomes),
        )
        found = linkage_service.linkage(self.engine, self.principal, request, self.policy, given)
        frame = pd.DataFrame(
            [vars(row) for row in found.paths],
            columns=list(linkage_service.PathRow.__dataclass_fields__),
        )
        frame.attrs.update(
            statement=found.statement,
            lag=found.lag,
            period=found.period,
            confidence=found.confidence,
            suppressed_cells=found.suppressed_cells,
        )
        return frame

    def roi(
        self,
        employee_survey: int | str,
        customer_survey: int | str,
        rise: float = 5.0,
        horizon: int = 12,
        *,
        one_off_cost: float = 0.0,
        per_period_cost: float = 0.0,
        units: Sequence[str] = (),
        lever: str = "employee",
        margin: float = 1.0,
        lag: int = 1,
        period: str = "month",
        revenue: float | None = None,
        confidence: float = 0.95,
        pdf: Path | str | None = None,
    ) -> pd.DataFrame:
        """ROI of ``units`` (codes or paths; their subtrees) raising their employee hearts
        index by ``rise`` points (``lever="customer"``: customer hearts), from the fitted
        linkage paths: one row per figure (``customer_rise``, ``revenue_pct``,
        ``revenue_change``, ``benefit``, ``roi``, ``payback``, ``churn_change``) with
        ``value``, ``lower``, ``upper``; ``attrs`` hold the ``statement``,
        ``probability_positive``, ``cost``, ``revenue``, ``estimable`` and ``note`` (why
        there is no number). ``pdf``: also write the one-page report there
        (docs/linkage.md, ROI). Example::

            r.roi("employee-relationship", "customer-relationship", 5, 12,
                  one_off_cost=200_000, per_period_cost=20_000, units=["north"])
        """
        request = roi_service.RoiRequest(
            employee_survey,
            customer_survey,
            rise=rise,
            horizon=horizon,
            one_off_cost=one_off_cost,
            per_period_cost=per_period_cost,
            units=tuple(units),
            lever=lever,
            margin=margin,
            lag=lag,
            period=period,
            revenue=revenue,
            confidence=confidence,
        )
        with self.database.unit_of_work(readonly=True) as uow:
            found = roi_service.simulate(self.engine, uow, self.principal, request, self.policy)
        result = found.result
        names = ("customer_rise", "revenue_pct", "revenue_change", "benefit", "roi", "payback")
        rows = [(n, *vars(getattr(result, n)).values()) for n in names]
        if result.churn_change is not None:
            rows.append(("churn_change", *vars(result.churn_change).values()))
        frame = pd.DataFrame(rows, columns=["figure", "value", "lower", "upper"])
        frame.attrs.update(
            statement=found.statement,
            estimable=result.estimable,
            note=result.note,
            probability_positive=result.probability_positive,
            cost=result.cost,
            revenue=found.revenue,
            units=found.units,
            notes=found.notes,
        )
        if pdf is not None:
            chart = roi_report.payback_chart(result.timeline, period) if result.estimable else None
            Path(pdf).write_bytes(roi_report.pdf(roi_service.report(found), chart))
        return frame

    def risk(
        self,
        kind: str = "employee",
        target: str = "left",
        survey: int | str | None = None,
        model: str = "logistic",
        *,
        unit: str | None = None,
        top: int = 50,
        level: str = "person",
        period: str = "month",
        lag: int = 1,
    ) -> pd.DataFrame:
        """Attrition or churn risk of the people of ``kind``, from their directory
        attributes, tenure and (with ``survey``) latest answers; ``target`` is the person
        attribute holding yes/no. One row per unit (``unit``, ``path``, ``n``,
        ``mean_risk``, ``observed``, ``suppressed``: employee units below the anonymity
        threshold are hidden). ``attrs`` holds ``auc`` with ``auc_lower``/``auc_upper``
        (DeLong), ``brier``, ``brier_baseline``, ``calibration_error``, ``n``,
        ``n_positive``, and frames ``drivers`` (each weight with its bootstrap interval
        ``lower``–``upper``), ``calibration`` and ``people`` (customers, for roles that may
        read profiles; None otherwise — docs/drivers.md).

        ``level="unit"`` (people not known): ``target`` is a stored outcome rate
        (``staff_turnover_rate``) or ``"detractors"``, predicted for the period after the
        latest from the ``survey``'s hearts and minds ``lag`` periods before; each unit's
        ``mean_risk`` is its predicted rate with ``lower``/``upper``, and the ``drivers``
        are log-odds per 10 index points with cluster-robust intervals.

        Example::

            r.risk("customer", "churned", survey="customer-relationship").attrs["drivers"]
            r.risk("employee", "staff_turnover_rate", "employee-relationship", level="unit")
        """
        request = risk_service.RiskRequest(
            kind, target, survey, model, unit, top, level, period, lag
        )
        stored = None
        if level == "unit" and target != risk_service.DETRACTORS:
            with self.database.unit_of_work(readonly=True) as uow:
                stored = linkage_service.stored_outcomes(uow, self.principal, [target], period)
        found = risk_service.person_risk(
            self.engine, self.principal, request, self.policy, outcomes=stored
        )
        frame = pd.DataFrame(
            [vars(row) for row in found.units],
            columns=list(risk_service.RiskUnit.__dataclass_fields__),
        )
        frame.attrs.update(
            {name: getattr(found, name) for name in risk_service.SUMMARY_FIELDS},
            drivers=pd.DataFrame(
                [vars(d) for d in found.drivers],
                columns=list(risk_service.RiskDriver.__dataclass_fields__),
            ),
            calibration=pd.DataFrame(found.calibration, columns=["predicted", "observed", "n"]),
            people=None
            if found.people is None
            else pd.DataFrame(
                [vars(p) for p in found.people],
                columns=list(risk_service.RiskPerson.__dataclass_fields__),
            ),
        )
        return frame

    def snapshot(self, directory: Path | str, *, include_text: bool = False) -> SnapshotInfo:
        """Write a Parquet snapshot of the operational database for the DuckDB engine."""
        source = open_engine("operational", engine=self.database.engine)
        try:
            return write_snapshot(source, directory, include_text=include_text)
        finally:
            source.dispose()

    @staticmethod
    def definitions() -> pd.DataFrame:
        """The built-in metrics with their scales and formulas."""
        return pd.DataFrame(
            [
                {
                    "name": m.name,
                    "title": m.title,
                    "statistic": m.statistic.value,
                    "scale": m.scale,
                    "description": m.description,
                }
                for m in BUILTIN_METRICS.values()
            ]
        )

    def close(self) -> None:
        self.engine.dispose()
        self.database.dispose()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @staticmethod
    def _request(
        survey: int | str | None,
        metric: str,
        by: Sequence[str] | str,
        period: str | None,
        attribute: str | None,
        audience: str | None,
        unit: str | None,
        since: datetime | None,
        until: datetime | None,
        question: str | None,
        item: str | None,
        confidence: float,
        segment: str | None = None,
    ) -> metrics_service.MetricRequest:
        dims = [by] if isinstance(by, str) else list(by)
        return metrics_service.MetricRequest(
            survey=survey,
            metric=metric,
            by=dims,
            period=period,
            attribute=attribute,
            audience=audience,
            unit=unit,
            since=since,
            until=until,
            question=question,
            item=item,
            confidence=confidence,
            segment=segment,
        )


def connect(
    url_or_settings: str | Settings | None = None,
    *,
    principal: Principal | None = None,
    engine: str | None = None,
    snapshot_dir: Path | str | None = None,
) -> Client:
    """Open Rapport for analysis.

    ``url_or_settings`` is a database URL, a :class:`~rapport.settings.Settings`, or None
    to read ``RAPPORT_*`` from the environment. ``engine`` (``operational`` or ``duckdb``)
    and ``snapshot_dir`` override the settings. ``principal`` defaults to :data:`ANALYST`.

    >>> with connect("sqlite://") as r:
    ...     r.engine.name
    'sqlite'
    """
    if isinstance(url_or_settings, Settings):
        settings = url_or_settings
    elif url_or_settings is None:
        settings = get_settings()
    else:
        settings = Settings(database_url=url_or_settings)
    database = Database(settings.resolved_database_url())
    kind = engine or str(getattr(settings, "analytics_engine", None) or "operational")
    folder = (
        snapshot_dir or getattr(settings, "snapshot_dir", None) or settings.data_dir / "snapshot"
    )
    analytics = open_engine(kind, engine=database.engine, snapshot_dir=Path(folder))
    policy = metrics_service.policy_from_settings(settings)
    return Client(database, analytics, principal or ANALYST, policy)


def _frame(rows: Sequence[metrics_service.ResultRow], detail: bool) -> pd.DataFrame:
    records = []
    for row in rows:
        record = {name: getattr(row, name) for name in ROW_COLUMNS}
        if detail:
            record.update(row.detail)
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=None if records else list(ROW_COLUMNS))
    empty_dims = [
        c
        for c in ROW_COLUMNS[:11]
        if c in frame.columns and frame[c].isna().all() and c != "audience"
    ]
    frame = frame.drop(columns=empty_dims)
    if "period" in frame.columns:
        frame["period"] = pd.to_datetime(frame["period"])
    return frame


__all__ = ["ANALYST", "Client", "connect"]
