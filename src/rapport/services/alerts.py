"""Alert rules: conditions on responses that open cases, checked on every store path.

:func:`on_stored` runs inside the transaction that stores responses (a form, the API, a CSV
import, the demo loader all reach it through :mod:`rapport.services.responses`), so a
response and its cases are committed together or not at all. The condition language and its
pseudo-fields are in :mod:`rapport.domain.alerts`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapport.analytics.metrics.per_response import response_scores
from rapport.domain.alerts import (
    Priority,
    answers_from_values,
    check_fields,
    facts,
    needs_indices,
)
from rapport.domain.audit import AuditAction
from rapport.domain.comment_emotions import EKMAN_EMOTIONS
from rapport.domain.logic import Condition, evaluate
from rapport.domain.org import Permission, Principal, Unit
from rapport.domain.survey import SurveyDefinitionError, condition_from_dict
from rapport.domain.survey.rows import AnswerValues
from rapport.errors import FieldError, NotFound, ValidationFailed
from rapport.services import audit, cases
from rapport.services.access import require
from rapport.services.clock import utcnow
from rapport.services.surveys import PublishedSurvey, get_published
from rapport.storage.repositories.cases import AlertRuleRecord
from rapport.storage.uow import UnitOfWork
from rapport.text import GOEMOTIONS_LABELS

#: Names ``emotion:<name>`` accepts: Ekman emotions and GoEmotions labels.
EMOTION_NAMES = frozenset({*EKMAN_EMOTIONS, *GOEMOTIONS_LABELS})
AUDIENCES = ("customer", "employee")


@dataclass(frozen=True, kw_only=True)
class RuleInput:
    name: str
    condition: Any
    survey: int | str | None = None
    audience: str | None = None
    unit: str | None = None
    priority: str = Priority.NORMAL.value
    active: bool = True
    follow_up_survey: int | str | None = None  # "did we put it right?" on closing a case


def parse_condition(data: Any, questions: Sequence[str] | None) -> Condition:
    """The rule's condition, or ValidationFailed naming each problem as ``condition.<path>``."""
    try:
        condition = condition_from_dict(data)
    except SurveyDefinitionError as error:
        raise ValidationFailed(
            "the condition is not valid",
            [FieldError(_where(p.path), p.message) for p in error.problems],
        ) from error
    problems = check_fields(condition, questions, EMOTION_NAMES)
    if problems:
        raise ValidationFailed(
            "the condition names unknown fields",
            [FieldError(_where(path), message) for path, message in problems],
        )
    return condition


def _where(path: str) -> str:
    return "condition" if path in ("", "$") else f"condition.{path}"


def create_rule(uow: UnitOfWork, principal: Principal, rule: RuleInput) -> AlertRuleRecord:
    """Add a rule; its condition is checked against the survey's questions when scoped."""
    require(principal, Permission.MANAGE_ALERTS)
    if not rule.name.strip():
        raise ValidationFailed("empty name", [FieldError("name", "expected some text")])
    if rule.priority not in set(Priority):
        raise ValidationFailed(
            "unknown priority",
            [FieldError("priority", f"expected one of {', '.join(Priority)}")],
        )
    if rule.audience is not None and rule.audience not in AUDIENCES:
        raise ValidationFailed(
            "unknown audience", [FieldError("audience", "expected customer or employee")]
        )
    survey_id, questions = None, None
    if rule.survey is not None:
        published = get_published(uow, rule.survey)
        survey_id = published.survey.id
        questions = [q.id for q in published.definition.questions]
        if rule.audience is not None and rule.audience != published.survey.audience:
            raise ValidationFailed(
                "audience does not match the survey",
                [FieldError("audience", f"the survey's audience is {published.survey.audience}")],
            )
    parse_condition(rule.condition, questions)
    unit_id = None
    if rule.unit is not None:
        found = uow.units.find(rule.unit)
        if found is None:
            raise ValidationFailed("unknown unit", [FieldError("unit", f"no unit {rule.unit!r}")])
        unit_id = found.id
    follow_up_id = None
    if rule.follow_up_survey is not None:
        follow_up_id = _follow_up_survey(uow, rule)
    record = uow.alert_rules.add(
        follow_up_survey_id=follow_up_id,
        name=rule.name.strip(),
        survey_id=survey_id,
        audience=rule.audience,
        unit_id=unit_id,
        condition=rule.condition,
        priority=rule.priority,
        active=rule.active,
        created_by=principal.name,
        created_at=utcnow(),
    )
    audit.record(uow, principal, AuditAction.ALERT_RULE_CREATE, f"alert_rule:{record.id}")
    return record


@dataclass(frozen=True, kw_only=True)
class RuleChange:
    """What a rule edit changes; None leaves a field as it is."""

    condition: Any = None
    priority: str | None = None
    active: bool | None = None


def update_rule(
    uow: UnitOfWork, principal: Principal, rule_id: int, change: RuleChange
) -> AlertRuleRecord:
    """Edit a rule's condition or priority, or (de)activate it. An inactive rule opens no
    cases from then on; cases it opened stay as they are."""
    require(principal, Permission.MANAGE_ALERTS)
    rule = uow.alert_rules.get(rule_id)
    if rule is None:
        raise NotFound(f"no alert rule {rule_id}")
    values: dict[str, Any] = {}
    if change.priority is not None:
        if change.priority not in set(Priority):
            raise ValidationFailed(
                "unknown priority",
                [FieldError("priority", f"expected one of {', '.join(Priority)}")],
            )
        values["priority"] = change.priority
    if change.condition is not None:
        questions = None
        if rule.survey_id is not None:
            published = get_published(uow, rule.survey_id)
            questions = [q.id for q in published.definition.questions]
        parse_condition(change.condition, questions)
        values["condition"] = change.condition
    if change.active is not None:
        values["active"] = change.active
    if not values:
        raise ValidationFailed(
            "nothing to change",
            [FieldError("body", "expected condition, priority or active", "required")],
        )
    uow.alert_rules.update(rule_id, **values)
    detail = {k: v for k, v in values.items() if k != "condition"}
    audit.record(uow, principal, AuditAction.ALERT_RULE_UPDATE, f"alert_rule:{rule_id}", detail)
    found = uow.alert_rules.get(rule_id)
    if found is None:
        raise RuntimeError("internal error: the rule just updated is missing")
    return found


def _follow_up_survey(uow: UnitOfWork, rule: RuleInput) -> int:
    """The id of a rule's follow-up survey: a published customer survey (employees are
    never asked again: that would say who answered)."""
    try:
        published = get_published(uow, rule.follow_up_survey)  # type: ignore[arg-type]
    except NotFound:
        raise ValidationFailed(
            "unknown follow-up survey",
            [FieldError("follow_up_survey", f"no published survey {rule.follow_up_survey!r}")],
        ) from None
    if published.survey.audience != "customer" or rule.audience == "employee":
        raise ValidationFailed(
            "a follow-up survey goes to customers only",
            [FieldError("follow_up_survey", "expected a customer survey on a customer rule")],
        )
    return published.survey.id


def list_rules(uow: UnitOfWork, principal: Principal) -> list[AlertRuleRecord]:
    require(principal, Permission.MANAGE_ALERTS)
    return uow.alert_rules.all()


@dataclass(frozen=True)
class Stored:
    """One response just stored, as :func:`on_stored` reads it."""

    response_id: int
    unit_id: int
    values: Sequence[AnswerValues]
    analyses: Sequence[Mapping[str, Any]]


def _applies(rule: AlertRuleRecord, published: PublishedSurvey) -> bool:
    survey = published.survey
    return (rule.survey_id is None or rule.survey_id == survey.id) and (
        rule.audience is None or rule.audience == survey.audience
    )


def _emotions(analyses: Sequence[Mapping[str, Any]]) -> set[str]:
    found: set[str] = set()
    for a in analyses:
        found.update(str(a.get("ekman") or "").split())
        found.update(str(a.get("labels") or "").split())
    return found


def on_stored(uow: UnitOfWork, published: PublishedSurvey, stored: Sequence[Stored]) -> list[int]:
    """Evaluate the active rules on responses just stored (same transaction) and open a
    case per matching rule and response; returns the cases opened."""
    if not stored:
        return []
    rules = [r for r in uow.alert_rules.active() if _applies(r, published)]
    if not rules:
        return []
    parsed = [(r, condition_from_dict(r.condition)) for r in rules]
    units = {u.id: u for u in uow.units.all()}
    indices: dict[int, dict[str, float | None]] = {}
    if any(needs_indices(c) for _, c in parsed):
        uow.flush()
        scores = response_scores(
            uow.connection(), [(s.response_id, published.survey.id) for s in stored]
        )
        indices = {rid: {"hearts": sc.hearts, "minds": sc.minds} for rid, sc in scores.items()}
    matches: list[tuple[int, int, int, str, str, str]] = []
    audience = published.survey.audience
    for s in stored:
        known = facts(
            answers_from_values(published.definition, s.values),
            _emotions(s.analyses),
            indices.get(s.response_id),
        )
        unit = units[s.unit_id]
        for rule, condition in parsed:
            if rule.unit_id is not None and not _in_subtree(unit, units.get(rule.unit_id)):
                continue
            if evaluate(condition, known) is True:
                matches.append(
                    (rule.id, s.response_id, s.unit_id, audience, rule.name, rule.priority)
                )
    return cases.open_for_matches(uow, matches, units) if matches else []


def _in_subtree(unit: Unit, root: Unit | None) -> bool:
    return root is not None and (unit.path == root.path or unit.path.startswith(root.path + "/"))
