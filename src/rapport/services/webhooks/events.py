"""What each webhook event says: payloads of responses and cases, put in the outbox by the
use cases that store them (same transaction; :mod:`.outbox`).

A case's payload is the case as ``GET /api/v1/cases/{id}`` lists it (without notes or
comments); an employee case names no response. Employee (protected) responses send nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.alerts import answers_from_values
from rapport.domain.survey.rows import AnswerValues
from rapport.domain.webhooks import EventType
from rapport.services import confidentiality
from rapport.services.surveys import PublishedSurvey
from rapport.services.webhooks.outbox import emit
from rapport.storage.uow import UnitOfWork

#: Cases read back per statement (below every engine's limit of bound parameters).
_CHUNK = 5000


def responses_created(
    uow: UnitOfWork,
    published: PublishedSurvey,
    stored: Sequence[tuple[int, Mapping[str, Any], Sequence[AnswerValues]]],
    person_keys: Mapping[int, str] | None = None,
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
) -> int:
    """``response.created`` for each (response id, response row, answer values) stored."""
    survey = published.survey
    if not stored or confidentiality.protects(policy, survey.audience):
        return 0
    if not uow.webhooks.endpoints_for(EventType.RESPONSE_CREATED.value):
        return 0
    codes = {u.id: u.code for u in uow.units.all()}
    keys = person_keys or {}
    items = [
        {
            "id": rid,
            "survey": survey.key,
            "survey_version": published.version.version,
            "unit": codes.get(row["unit_id"], ""),
            "audience": survey.audience,
            "channel": row["channel"],
            "language": row["language"],
            "submitted_at": row["submitted_at"],
            "person": keys.get(row["person_id"]) if row.get("person_id") else None,
            "answers": answers_from_values(published.definition, values),
        }
        for rid, row, values in stored
    ]
    return emit(uow, EventType.RESPONSE_CREATED, items)


def cases_changed(
    uow: UnitOfWork,
    event: EventType,
    case_ids: Sequence[int],
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
) -> int:
    """``event`` (case.created, .updated, .escalated, .closed) for each case, as it is now."""
    if not case_ids or not uow.webhooks.endpoints_for(event.value):
        return 0
    codes = {u.id: u.code for u in uow.units.all()}
    emails = {u.id: u.email for u in uow.users.all()}
    items = []
    for start in range(0, len(case_ids), _CHUNK):
        for case in uow.cases.by_ids(case_ids[start : start + _CHUNK]):
            protected = confidentiality.protects(policy, case.audience)
            items.append(
                {
                    "id": case.id,
                    "title": case.title,
                    "unit": codes.get(case.unit_id, ""),
                    "audience": case.audience,
                    "rule_id": case.rule_id,
                    "response_id": None if protected else case.response_id,
                    "owner": emails.get(case.owner_id) if case.owner_id else None,
                    "status": case.status,
                    "priority": case.priority,
                    "opened_at": case.opened_at,
                    "due_at": case.due_at,
                    "first_contact_at": case.first_contact_at,
                    "resolved_at": case.resolved_at,
                    "resolution_code": case.resolution_code,
                    "escalation_level": case.escalation_level,
                }
            )
    return emit(uow, event, items)
