"""The learning log: blameless breakdown learnings linked to cases, responses, comment
themes and units (``docs/closed-loop.md`` "Learning log").

Admins, analysts and managers write and read learnings (the case workers). A manager's
learnings name at least one unit, every one in their subtree, and they see only such
learnings; an organisation-wide learning (no unit) is for admins and analysts. A response
is linked only when its survey is not protected: an employee's response is never named —
link its case (which shows no respondent) or its unit instead. Closing a case can write a
learning in the same transaction (:func:`close_case`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from rapport.analytics.metrics import get_metric
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.alerts import CaseStatus
from rapport.domain.audit import AuditAction
from rapport.domain.learnings import ChangeArea, Learning, LearningChange
from rapport.domain.org import Permission, Principal, Role
from rapport.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from rapport.services import audit, cases, confidentiality
from rapport.services.access import require
from rapport.services.clock import utcnow
from rapport.services.surveys import get_published
from rapport.storage.uow import UnitOfWork

MAX_TITLE = 300
MAX_THEME = 120
AREAS = tuple(a.value for a in ChangeArea)


@dataclass(frozen=True, kw_only=True)
class LearningInput:
    """What a client sends; on an update, None leaves a field as it is."""

    title: str | None = None
    what_happened: str | None = None
    impact: str | None = None
    learnt: str | None = None
    owner: str | None = None
    review_on: date | None = None
    survey: str | None = None
    metric: str | None = None
    changes: Sequence[LearningChange] | None = None
    cases: Sequence[int] | None = None
    responses: Sequence[int] | None = None
    units: Sequence[str] | None = None
    themes: Sequence[str] | None = None


def _text(value: str | None, name: str, errors: list[FieldError], *, limit: int = 0) -> str:
    text = (value or "").strip()
    if limit and len(text) > limit:
        errors.append(FieldError(name, f"expected at most {limit} characters"))
    return text


def _check_changes(changes: Sequence[LearningChange], errors: list[FieldError]) -> None:
    for i, c in enumerate(changes):
        if c.area not in AREAS:
            errors.append(
                FieldError(
                    f"changes[{i}].area", f"expected one of {', '.join(AREAS)}, got {c.area!r}"
                )
            )
        if not c.description.strip():
            errors.append(FieldError(f"changes[{i}].description", "expected some text"))


def _resolve_links(
    uow: UnitOfWork,
    principal: Principal,
    given: LearningInput,
    policy: SuppressionPolicy,
    errors: list[FieldError],
) -> dict[str, list[Any]]:
    """The link rows of each kind that ``given`` names, checked (None kinds are left out)."""
    links: dict[str, list[Any]] = {}
    if given.units is not None:
        unit_ids = []
        for i, code in enumerate(given.units):
            unit = uow.units.find(code.strip())
            if unit is None:
                errors.append(FieldError(f"units[{i}]", f"no unit {code!r}"))
            elif not principal.sees_unit(unit.path):
                raise PermissionDenied(
                    f"Unit {unit.code} is outside your part of the organisation."
                )
            elif unit.id not in unit_ids:
                unit_ids.append(unit.id)
        links["unit_id"] = unit_ids
    if given.cases is not None:
        for i, case_id in enumerate(given.cases):
            case = uow.cases.get(case_id)
            unit = uow.units.get(case.unit_id) if case else None
            if case is None or unit is None or not principal.sees_unit(unit.path):
                errors.append(FieldError(f"cases[{i}]", f"no case {case_id}"))
        links["case_id"] = list(dict.fromkeys(given.cases))
    if given.responses is not None:
        places = uow.learnings.response_places(given.responses)
        for i, response_id in enumerate(given.responses):
            place = places.get(response_id)
            unit = uow.units.get(place[1]) if place else None
            if place is None or unit is None or not principal.sees_unit(unit.path):
                errors.append(FieldError(f"responses[{i}]", f"no response {response_id}"))
            elif confidentiality.protects(policy, place[0]):
                errors.append(
                    FieldError(
                        f"responses[{i}]",
                        f"a {place[0]} response is never named: link its case or unit instead",
                    )
                )
        links["response_id"] = list(dict.fromkeys(given.responses))
    if given.themes is not None:
        themes = []
        for i, theme in enumerate(given.themes):
            text = " ".join(theme.split()).lower()
            if not text or len(text) > MAX_THEME:
                errors.append(FieldError(f"themes[{i}]", f"expected 1–{MAX_THEME} characters"))
            elif text not in themes:
                themes.append(text)
        links["theme"] = themes
    return links


def _measure(
    uow: UnitOfWork, survey: str | None, metric: str | None, errors: list[FieldError]
) -> dict[str, Any]:
    """The linked metric's columns: a survey (key or id) and a metric name (default hearts)."""
    if not survey:
        return {"survey_id": None, "metric": None}
    try:
        found = get_published(uow, survey)
    except NotFound:
        errors.append(FieldError("survey", f"no published survey {survey!r}"))
        return {}
    name = metric or "hearts"
    try:
        get_metric(name)
    except ValidationFailed:
        errors.append(FieldError("metric", f"unknown metric {name!r} (hearts, minds, nps, …)"))
    return {"survey_id": found.survey.id, "metric": name}


def _scope_check(principal: Principal, learning: Learning) -> None:
    if principal.role is Role.MANAGER and not learning.unit_paths:
        raise PermissionDenied("A manager's learning names at least one unit of their own.")


def create(
    uow: UnitOfWork,
    principal: Principal,
    given: LearningInput,
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
) -> Learning:
    """Write a learning; ValidationFailed names each bad field."""
    require(principal, Permission.WORK_CASES)
    errors: list[FieldError] = []
    title = _text(given.title, "title", errors, limit=MAX_TITLE)
    happened = _text(given.what_happened, "what_happened", errors)
    if not title:
        errors.append(FieldError("title", "expected some text"))
    if not happened:
        errors.append(FieldError("what_happened", "expected some text"))
    changes = list(given.changes or [])
    _check_changes(changes, errors)
    links = _resolve_links(uow, principal, given, policy, errors)
    measure = _measure(uow, given.survey, given.metric, errors)
    if errors:
        raise ValidationFailed("the learning is not valid", errors)
    now = utcnow()
    learning_id = uow.learnings.add(
        {
            "title": title,
            "what_happened": happened,
            "impact": _text(given.impact, "impact", errors),
            "learnt": _text(given.learnt, "learnt", errors),
            "owner": _text(given.owner, "owner", errors),
            "review_on": given.review_on,
            **measure,
            "created_by": principal.name,
            "created_at": now,
            "updated_at": now,
        }
    )
    uow.learnings.set_changes(learning_id, [_clean(c) for c in changes])
    for kind, values in links.items():
        uow.learnings.set_links(learning_id, kind, values)
    made = _get(uow, learning_id)
    _scope_check(principal, made)
    audit.record(uow, principal, AuditAction.LEARNING_CREATE, f"learning:{learning_id}")
    return made


def _clean(change: LearningChange) -> LearningChange:
    return replace(change, description=change.description.strip())


def update(
    uow: UnitOfWork,
    principal: Principal,
    learning_id: int,
    given: LearningInput,
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
) -> Learning:
    """Change the fields ``given`` names; lists (changes, links) are replaced whole."""
    before = get(uow, principal, learning_id)
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name in ("title", "what_happened", "impact", "learnt", "owner"):
        value = getattr(given, name)
        if value is not None:
            values[name] = _text(value, name, errors, limit=MAX_TITLE if name == "title" else 0)
            if name in ("title", "what_happened") and not values[name]:
                errors.append(FieldError(name, "expected some text"))
    if given.review_on is not None:
        values["review_on"] = given.review_on
    if given.survey is not None or given.metric is not None:
        values.update(
            _measure(uow, given.survey or before.survey_key, given.metric or before.metric, errors)
        )
    if given.changes is not None:
        _check_changes(given.changes, errors)
    links = _resolve_links(uow, principal, given, policy, errors)
    if errors:
        raise ValidationFailed("the learning is not valid", errors)
    uow.learnings.update(learning_id, {**values, "updated_at": utcnow()})
    if given.changes is not None:
        uow.learnings.set_changes(learning_id, [_clean(c) for c in given.changes])
    for kind, link_values in links.items():
        uow.learnings.set_links(learning_id, kind, link_values)
    after = _get(uow, learning_id)
    _scope_check(principal, after)
    audit.record(uow, principal, AuditAction.LEARNING_UPDATE, f"learning:{learning_id}")
    return after


def _get(uow: UnitOfWork, learning_id: int) -> Learning:
    found = uow.learnings.get(learning_id)
    if found is None:
        raise NotFound(f"no learning {learning_id}")
    return found


def _visible(principal: Principal, learning: Learning) -> bool:
    if principal.role is not Role.MANAGER:
        return True
    return bool(learning.unit_paths) and all(principal.sees_unit(p) for p in learning.unit_paths)


def get(uow: UnitOfWork, principal: Principal, learning_id: int) -> Learning:
    """One learning the principal may see (else NotFound, as if absent)."""
    require(principal, Permission.WORK_CASES)
    found = uow.learnings.get(learning_id)
    if found is None or not _visible(principal, found):
        raise NotFound(f"no learning {learning_id}")
    return found


def find(
    uow: UnitOfWork, principal: Principal, *, theme: str | None = None, unit: str | None = None
) -> list[Learning]:
    """The learnings the principal may see, oldest first; ``theme`` and ``unit`` (its
    subtree) narrow them."""
    require(principal, Permission.WORK_CASES)
    within = None
    if unit:
        found = uow.units.find(unit)
        if found is None:
            raise NotFound(f"no unit {unit!r}")
        within = found.path
    wanted = " ".join(theme.split()).lower() if theme else None
    return [
        learning
        for learning in uow.learnings.many()
        if _visible(principal, learning)
        and (wanted is None or wanted in learning.themes)
        and (
            within is None
            or any(p == within or p.startswith(within + "/") for p in learning.unit_paths)
        )
    ]


def close_case(
    uow: UnitOfWork,
    principal: Principal,
    case_id: int,
    *,
    resolution_code: str,
    note: str | None = None,
    learning: LearningInput | None = None,
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
) -> Learning | None:
    """Close a case and, if given, write its learning linked to the case and its unit (and,
    for a customer case, its response) — in one transaction: a refused learning leaves the
    case open."""
    before = uow.cases.get(case_id)
    if before is not None and before.status == CaseStatus.CLOSED.value:
        cases.detail(uow, principal, case_id)  # NotFound first, for a case the caller cannot see
        raise ValidationFailed(
            "the case is already closed", [FieldError("status", "the case is closed")]
        )
    change = cases.CaseChange(
        status=CaseStatus.CLOSED.value, resolution_code=resolution_code, note=note
    )
    cases.update(uow, principal, case_id, change)
    if learning is None:
        return None
    case = uow.cases.get(case_id)
    unit = uow.units.get(case.unit_id) if case else None
    if case is None or unit is None:
        raise NotFound(f"no case {case_id}")
    responses = list(learning.responses or [])
    if case.response_id is not None and not confidentiality.protects(policy, case.audience):
        responses.append(case.response_id)
    linked = replace(
        learning,
        cases=[case_id, *(c for c in learning.cases or [] if c != case_id)],
        units=list(dict.fromkeys([unit.code, *(learning.units or [])])),
        responses=responses,
    )
    return create(uow, principal, linked, policy)
