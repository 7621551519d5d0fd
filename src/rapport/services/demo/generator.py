"""Deterministic demo data for Rapport: Northwind Retail with planted, recoverable effects.

``generate_demo`` builds a retail organisation (regions → stores, a head office with
departments), its customers and employees, monthly customer and employee relationship survey
responses, monthly business outcomes and a fresh-experience programme — all from one
``numpy.random.default_rng(seed)`` stream, so the same arguments always give the same data
(``DemoOrganisation.checksum()`` proves it). It never touches a database: a loader writes the
result. The planted effects, their true sizes and the affected units are in ``truth`` and in
``docs/demo-data.md``.

>>> demo = generate_demo(units=20, months=3, scale=0.2)
>>> demo.units[0].code, demo.checksum() == generate_demo(units=20, months=3, scale=0.2).checksum()
('northwind', True)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import numpy as np

from rapport.services.demo.latent import Effects, Latent, simulate_latent, simulate_outcomes
from rapport.services.demo.models import (
    AnswerValue,
    DemoAction,
    DemoOrganisation,
    DemoOutcome,
    DemoPerson,
    DemoResponse,
    DemoUnit,
    DemoWave,
)
from rapport.services.demo.org import (
    COMPANY_CODE,
    CUSTOMER_PERSON_SD,
    PROGRAMME_REGION,
    SEGMENTS,
    OrgPlan,
    Pool,
    make_customers,
    make_employees,
    plan_organisation,
)
from rapport.services.demo.responses import (
    CUSTOMER_SURVEY,
    EMPLOYEE_SURVEY,
    SEGMENT_HEARTS,
    Month,
    UnitInfo,
    customer_month,
    employee_month,
)

__all__ = [
    "CUSTOMER_SURVEY",
    "EMPLOYEE_SURVEY",
    "AnswerValue",
    "DemoAction",
    "DemoOrganisation",
    "DemoOutcome",
    "DemoPerson",
    "DemoResponse",
    "DemoUnit",
    "DemoWave",
    "Effects",
    "generate_demo",
]

STORE_HEADCOUNT = (10, 14)
CUSTOMERS_PER_STORE = 160
PULSE_SENT_AT = time(8, 0)  # UTC, on the first day of each month


#: The first month of the demo's calendar unless one is given (``rapport demo --start``).
DEMO_START = date(2025, 7, 1)


def live_start(months: int) -> date:
    """The first month of a ``months``-month calendar whose last month is this one."""
    return _add_months(date.today(), 1 - months)


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def _months(start: date, count: int) -> list[Month]:
    months = []
    for index in range(count):
        first = _add_months(start, index)
        following = _add_months(start, index + 1)
        months.append(Month(index, first, (first - start).days, (following - first).days))
    return months


def _validate(units: int, months: int, start: date, scale: float) -> None:
    if units < 1:
        raise ValueError(f"units must be at least 1, got {units}")
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    if start.day != 1:
        raise ValueError(f"start must be the first day of a month, got {start.isoformat()}")
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")


def _people(
    rng: np.random.Generator, plan: OrgPlan, start: date, window_days: int, scale: float
) -> tuple[list[DemoPerson], dict[str, Pool], dict[str, Pool]]:
    """Employees of every store and department, then each store's customer base."""
    people: list[DemoPerson] = []
    staff: dict[str, Pool] = {}
    customers: dict[str, Pool] = {}
    low, high = STORE_HEADCOUNT
    headcounts = [(code, int(rng.integers(low, high + 1)), True) for code in plan.stores]
    headcounts += [(code, size, False) for code, size in plan.departments]
    for code, size, is_store in headcounts:
        scaled = max(2, round(size * scale))
        made, pool = make_employees(rng, code, scaled, is_store, start, len(people) + 1)
        people += made
        staff[code] = pool
    number = 1
    for code in plan.stores:
        size = max(20, round(CUSTOMERS_PER_STORE * scale))
        made, pool = make_customers(rng, code, size, start, window_days, number)
        number += size
        people += made
        customers[code] = pool
    return people, staff, customers


def _truth(
    effects: Effects, plan: OrgPlan, latent: Latent, months: list[Month], seed: int
) -> dict[str, Any]:
    """True effect sizes, affected units and dates, and the latent series themselves."""
    e = effects
    periods = [m.first_day for m in months]

    def period_of(index: int) -> date | None:
        return periods[index] if index < len(periods) else None

    programme = plan.stores_by_region[PROGRAMME_REGION]
    return {
        "seed": seed,
        "company": COMPANY_CODE,
        "periods": periods,
        "effects": e.as_dict(),
        "ex_to_cx": {
            "beta_hearts": e.ex_to_cx_hearts_beta,
            "beta_minds": e.ex_to_cx_minds_beta,
            "lag_months": e.lag_months,
            "ex_reference": e.ex_reference,
            "units": list(plan.stores),
        },
        "drift": {
            "units": list(plan.drifting_stores),
            "stores": list(plan.drifting_stores),  # alias of "units": they are all stores
            "start_month": e.drift_start_month,
            "start_period": period_of(e.drift_start_month),
            "hearts_per_month": e.drift_hearts_per_month,
            "fresh_per_month": e.drift_hearts_per_month + e.drift_fresh_extra_per_month,
            "taken_for_granted_per_month": -(
                e.drift_hearts_per_month + e.drift_fresh_extra_per_month
            ),
            "minds_per_month": 0.0,
        },
        "honeymoon": {
            "points": e.honeymoon_points,
            "tau_months": e.honeymoon_tau_months,
        },
        "programme": {
            "region": PROGRAMME_REGION,
            "units": list(programme),
            "stores": list(programme),  # alias of "units"
            "start_month": e.programme_start_month,
            "start_period": period_of(e.programme_start_month),
            "employee_hearts": e.programme_ex_hearts,
            "customer_hearts": e.programme_ex_hearts * e.ex_to_cx_hearts_beta,
            "customer_lag_months": e.lag_months,
        },
        "outcomes": {
            "revenue_gamma": e.revenue_gamma,
            "revenue_reference_hearts": e.cx_hearts_reference,
            "churn_per_hearts_point": e.churn_per_point,
            "turnover_per_ex_point": e.turnover_per_point,
        },
        "customers": {
            "segment_hearts": dict(zip(SEGMENTS, SEGMENT_HEARTS.tolist(), strict=True)),
            "person_hearts_sd": CUSTOMER_PERSON_SD[0],
        },
        "anonymous_surveys": [EMPLOYEE_SURVEY],
        # Latent series per unit and month (0-100 index points). CX hearts is the level of an
        # established (tenure >> tau), everyday-segment customer; observed store means add the
        # honeymoon bonus of the month's newer customers (about +2 points on average).
        "latent": {
            "ex_minds": {
                u: [round(float(v), 3) for v in s[1:]] for u, s in latent.ex_minds.items()
            },
            "ex_hearts": {
                u: [round(float(v), 3) for v in s[1:]] for u, s in latent.ex_hearts.items()
            },
            "cx_hearts": {u: [round(float(v), 3) for v in s] for u, s in latent.cx_hearts.items()},
            "cx_minds": {u: [round(float(v), 3) for v in s] for u, s in latent.cx_minds.items()},
        },
    }


def generate_demo(
    seed: int = 7,
    units: int = 40,
    months: int = 15,
    start: date = DEMO_START,
    scale: float = 1.0,
) -> DemoOrganisation:
    """Generate Northwind Retail's demo organisation, people, responses and outcomes.

    ``units`` is the approximate size of the unit tree (13 fixed units plus stores; at least one
    store per region), ``months`` the number of monthly survey waves from ``start`` (first of a
    month), ``scale`` multiplies customer volumes and headcounts. Pure and deterministic.

    >>> generate_demo(units=20, months=2, scale=0.2).units[1].code
    'north'
    """
    _validate(units, months, start, scale)
    rng = np.random.default_rng(seed)
    effects = Effects()
    plan = plan_organisation(units)
    calendar = _months(start, months)
    window_days = (_add_months(start, months) - start).days
    people, staff, customers = _people(rng, plan, start, window_days, scale)
    programme = set(plan.stores_by_region[PROGRAMME_REGION])
    latent = simulate_latent(
        rng, effects, list(staff), plan.stores, programme, set(plan.drifting_stores), months
    )
    names = {unit.code: unit.name for unit in plan.units}
    responses: list[DemoResponse] = []
    waves: list[DemoWave] = []  # the employee pulse is e-mailed to all staff each month
    for month in calendar:
        live = month.index >= effects.programme_start_month
        for code, pool in customers.items():
            info = UnitInfo(code, names[code])
            responses += customer_month(rng, effects, latent, info, pool, month, scale)
        for code, pool in staff.items():
            info = UnitInfo(code, names[code])
            pulse = employee_month(rng, latent, info, pool, month, live and code in programme)
            responses += pulse
            sent = datetime.combine(month.first_day, PULSE_SENT_AT, UTC)
            waves.append(
                DemoWave(EMPLOYEE_SURVEY, code, sent, tuple(pool.external_ids), len(pulse))
            )
    outcomes = simulate_outcomes(rng, effects, latent, [m.first_day for m in calendar], scale)
    actions = _actions(plan, effects, calendar)
    truth = _truth(effects, plan, latent, calendar, seed)
    units_out: list[DemoUnit] = list(plan.units)
    return DemoOrganisation(units_out, people, responses, outcomes, actions, truth, waves)


def _actions(plan: OrgPlan, effects: Effects, calendar: list[Month]) -> list[DemoAction]:
    """The West programme: one fresh-experience action for the programme region, which
    covers its stores (if the month exists)."""
    if effects.programme_start_month >= len(calendar):
        return []
    started = calendar[effects.programme_start_month].first_day
    description = (
        "Monthly fresh-experience sessions for all store staff: swap roles for a day, visit a "
        "competitor as a mystery shopper, and bring one new idea to surprise long-standing "
        "customers. Managers remove one obstacle raised by the team each month."
    )
    return [
        DemoAction(
            PROGRAMME_REGION,
            "fresh_experience",
            "West programme: fresh experiences for store teams",
            started,
            description,
            "Warmer customer relationships: customer hearts up about 4 points a month after "
            "staff hearts rise.",
        )
    ]
