"""Closed-loop metrics as SQLAlchemy Core statements over ``cases`` (``docs/closed-loop.md``).

Part of the one SQL-generation layer (:mod:`rapport.analytics.metrics.sql`): the same
grouping columns, filters and dialect constructs, over a case instead of a response. A case
counts at its own unit (rolled up like responses), in the period it was **opened** (UTC),
with its audience; its survey and version are those of the response it was opened on (a
case opened by hand has none, so a survey filter leaves it out). Cases carry no person
attributes, so grouping by one is refused.

Each statement returns the sufficient statistics of :data:`results.STAT_FIELDS`:

- times (MEAN, centre 0): ``n`` cases measured, Σ hours, Σ hours²;
- shares (SHARE): ``n`` cases counted, ``successes``;
- the recovery effect (MEAN, centre 0): ``n`` paired cases, Σ d, Σ d², with ``d`` the
  follow-up response's NPS category minus the original's (promoter +100, passive 0,
  detractor −100), so the mean of ``d`` is the follow-up NPS minus the original NPS.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Double,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)

from rapport.analytics.metrics import REPEAT_WINDOW_DAYS, CaseMeasure, MetricQuery
from rapport.analytics.metrics.dialects import DaysEarlier, ScanFirst, SecondsBetween
from rapport.analytics.metrics.sql import Facts, dimension_columns, response_conditions, table

HOUR = 3600.0


def case_facts() -> Facts:
    """A case's own columns; survey and version through its response (outer join)."""
    c, r = table("cases"), table("responses")
    return Facts(c.c.unit_id, c.c.opened_at, c.c.audience, r.c.survey_version_id,
                 r.c.survey_id, None)  # fmt: skip


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, literal_column("1")), else_=literal_column("0")))


def case_statements(query: MetricQuery) -> dict[str, Select[Any]]:
    """The ``stats`` statement of a closed-loop metric (``query.metric.cases`` set)."""
    c, r = table("cases"), table("responses")
    facts = case_facts()
    dims = dimension_columns(query.grouping, facts)
    # Walk the cases and fetch each response by its key: probing cases through the
    # responses of a survey visits every response (0.08 s for 3 resolved cases of 42,000).
    where = response_conditions(query.filters, replace(facts, survey=ScanFirst(r.c.survey_id)))
    source: Any = c.outerjoin(r, r.c.id == c.c.response_id)
    measure = CaseMeasure(query.metric.cases or "")
    n = func.count().label("n")
    if measure in (CaseMeasure.FIRST_CONTACT, CaseMeasure.RESOLUTION):
        if measure is CaseMeasure.FIRST_CONTACT:
            contact = _first_contacts()
            source = source.join(contact, contact.c.case_id == c.c.id)
            ended: ColumnElement[Any] = contact.c.first_at
        else:
            ended = c.c.resolved_at
            where.append(c.c.resolved_at.is_not(None))
        hours = SecondsBetween(c.c.opened_at, ended) / literal(HOUR, Double())
        stats = select(
            *dims, n, func.sum(hours).label("total"), func.sum(hours * hours).label("total_sq")
        )
    elif measure is CaseMeasure.WITHIN_SLA:
        resolved = c.c.resolved_at.is_not(None)
        # Escalation moves ``due_at`` on, but only a waiting, overdue case escalates: so a
        # case never escalated still has its first due time, and an escalated one missed it.
        # Only cases whose fate is known count (a WHERE, as resolution times do): a period
        # whose cases all still wait has no row, not a row of n = 0.
        where.append(or_(resolved, c.c.escalation_level > 0))
        met = and_(resolved, c.c.escalation_level == 0, c.c.resolved_at <= c.c.due_at)
        stats = select(*dims, n, _count_if(met).label("successes"))
    elif measure is CaseMeasure.REPEAT:
        stats = select(*dims, n, _count_if(_repeats()).label("successes"))
    else:
        # Only cases with a follow-up response pair up: the answers of the others are not read.
        paired = c.c.follow_up_response_id.is_not(None)
        original = _nps_category("original", select(c.c.response_id).where(paired))
        follow = _nps_category("follow_up", select(c.c.follow_up_response_id).where(paired))
        source = source.join(original, original.c.response_id == c.c.response_id).join(
            follow, follow.c.response_id == c.c.follow_up_response_id
        )
        d = follow.c.category - original.c.category
        stats = select(*dims, n, func.sum(d).label("total"), func.sum(d * d).label("total_sq"))
    grouped = stats.select_from(source).where(*where).group_by(*(d.element for d in dims))
    return {"stats": grouped}


def _first_contacts() -> Any:
    """Per case, the first note or status change (``case_events`` of kind ``status``)."""
    notes, events = table("case_notes"), table("case_events")
    touches = union_all(
        select(notes.c.case_id, notes.c.at),
        select(events.c.case_id, events.c.at).where(events.c.kind == "status"),
    ).subquery("touches")
    return (
        select(touches.c.case_id, func.min(touches.c.at).label("first_at"))
        .group_by(touches.c.case_id)
        .subquery("first_contact")
    )


def _repeats() -> ColumnElement[bool]:
    """True for a case with an earlier one (ties broken by id) opened at most
    :data:`REPEAT_WINDOW_DAYS` before it, in the same unit by the same alert rule, or about
    the same person (the responses' person).

    Two ``EXISTS``, each reached through an index (cases by unit, rule and opening time,
    sought to the window's start; responses by person, then cases by response), rather than
    one over every pair of cases."""
    c, r = table("cases"), table("responses")

    def before(prior: Any) -> list[ColumnElement[bool]]:
        earlier = or_(
            prior.c.opened_at < c.c.opened_at,
            and_(prior.c.opened_at == c.c.opened_at, prior.c.id < c.c.id),
        )
        window = SecondsBetween(prior.c.opened_at, c.c.opened_at) <= literal(
            REPEAT_WINDOW_DAYS * 86400.0, Double()
        )
        # The same window as bounds on ``prior.opened_at`` alone, which the index on (unit,
        # rule, opened_at) seeks to: the exact tests above decide, these only narrow.
        since = prior.c.opened_at >= DaysEarlier(c.c.opened_at, REPEAT_WINDOW_DAYS)
        return [prior.c.id != c.c.id, prior.c.opened_at <= c.c.opened_at, since, earlier, window]

    by_rule = c.alias("prior")
    same_issue = (
        exists()
        .select_from(by_rule)
        .where(by_rule.c.unit_id == c.c.unit_id, by_rule.c.rule_id == c.c.rule_id, *before(by_rule))
    )
    by_person, their = c.alias("prior_of_person"), r.alias("prior_response")
    same_person = (
        exists()
        .select_from(their.join(by_person, by_person.c.response_id == their.c.id))
        .where(their.c.person_id == r.c.person_id, *before(by_person))
    )
    return or_(
        and_(c.c.rule_id.is_not(None), same_issue), and_(r.c.person_id.is_not(None), same_person)
    )


def _nps_category(name: str, referenced: Select[Any]) -> Any:
    """Per response of ``referenced`` (the original or follow-up responses of cases), the
    NPS category of its answer to its NPS question (the one with the smallest question
    id if a survey has several): promoter 100, passive 0, detractor −100.

    Only those responses are read (through the answers' response index): every NPS answer
    of the organisation cost 2 s CPU a dashboard at 160 units."""
    a, r, si = table("answers"), table("responses"), table("survey_items")
    scored = (
        select(a.c.response_id, a.c.question_id, a.c.value_num)
        .select_from(
            a.join(r, r.c.id == a.c.response_id).join(
                si,
                and_(
                    si.c.survey_version_id == r.c.survey_version_id,
                    si.c.question_id == a.c.question_id,
                    si.c.item == a.c.item,
                ),
            )
        )
        .where(
            si.c.qtype == "nps",
            a.c.value_num.is_not(None),
            a.c.response_id.in_(referenced),
        )
        .subquery(f"{name}_answers")
    )
    first = (
        select(scored.c.response_id, func.min(scored.c.question_id).label("question_id"))
        .group_by(scored.c.response_id)
        .subquery(f"{name}_question")
    )
    value = scored.c.value_num
    category = case(
        (value >= 9, literal(100.0, Double())),
        (value <= 6, literal(-100.0, Double())),
        else_=literal(0.0, Double()),
    )
    return (
        select(scored.c.response_id, func.max(category).label("category"))
        .select_from(
            scored.join(
                first,
                and_(
                    first.c.response_id == scored.c.response_id,
                    first.c.question_id == scored.c.question_id,
                ),
            )
        )
        .group_by(scored.c.response_id)
        .subquery(name)
    )
