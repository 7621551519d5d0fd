"""Survey use cases: save a definition as a new version, publish (freeze) it, look it up."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from rapport.analytics.suppression.cache import content_key
from rapport.domain.answers import item_tags
from rapport.domain.org import Permission, Principal
from rapport.domain.survey.dump import definition_to_dict
from rapport.domain.survey.model import SurveyDefinition, SurveyDefinitionError
from rapport.domain.survey.parse import definition_from_dict
from rapport.domain.survey.text import fill_placeholders, text_for
from rapport.errors import Conflict, FieldError, NotFound, ValidationFailed
from rapport.services import metrics
from rapport.services.access import require
from rapport.services.clock import utcnow
from rapport.services.org import organisation_name
from rapport.storage.repositories.surveys import SurveyRecord, VersionRecord
from rapport.storage.uow import UnitOfWork


@dataclass(frozen=True)
class PublishedSurvey:
    """A survey with the published version respondents answer, parsed."""

    survey: SurveyRecord
    version: VersionRecord
    definition: SurveyDefinition


def definition_checksum(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def save_definition(
    uow: UnitOfWork, principal: Principal, definition: SurveyDefinition, *, publish: bool = True
) -> VersionRecord:
    """Store ``definition`` as the next version of its survey (creating the survey).

    Publishing freezes the version; later edits always create a new version, so responses
    keep pointing at exactly what they answered. Saving an unchanged definition again
    returns the latest version instead of creating a duplicate.
    """
    require(principal, Permission.MANAGE_SURVEYS)
    data = definition_to_dict(definition)
    checksum = definition_checksum(data)
    title = text_for(definition.title, definition.default_language, definition.default_language)
    existing = uow.surveys.by_key(definition.key)
    if existing is None:
        survey_id = uow.surveys.add(
            definition.key, title, definition.audience.value, definition.anonymous, utcnow()
        )
    else:
        if existing.audience != definition.audience.value:
            raise Conflict(
                f"survey {definition.key} is for {existing.audience}s; its audience cannot change"
            )
        survey_id = existing.id
        versions = uow.surveys.versions(survey_id)
        if versions and versions[-1].checksum == checksum:
            latest = versions[-1]
            if publish and latest.status != "published":
                return publish_version(uow, principal, latest.id)
            return latest
        uow.surveys.update_meta(survey_id, title, definition.anonymous)
    version = uow.surveys.add_version(survey_id, data, checksum, utcnow())
    uow.audit.record(
        principal.name, "survey.version", definition.key, utcnow(), {"version": version.version}
    )
    return publish_version(uow, principal, version.id) if publish else version


def publish_version(uow: UnitOfWork, principal: Principal, version_id: int) -> VersionRecord:
    """Freeze a draft version and record its scored items with their construct tags."""
    require(principal, Permission.MANAGE_SURVEYS)
    version = uow.surveys.get_version(version_id)
    if version is None:
        raise NotFound(f"survey version {version_id} does not exist")
    if version.status == "published":
        raise Conflict(f"version {version.version} is already published and cannot change")
    definition = definition_from_dict(version.definition)
    items = [
        {
            "question_id": key[0],
            "item": key[1] or "",
            "qtype": definition.question(key[0]).type.value,
            "tags": " ".join(info.tags),
            "scale_min": info.scale_min,
            "scale_max": info.scale_max,
            "reverse_keyed": info.reverse_keyed,
        }
        for key, info in item_tags(definition).items()
    ]
    uow.surveys.mark_published(version_id, utcnow(), items)
    uow.audit.record(
        principal.name, "survey.publish", definition.key, utcnow(), {"version": version.version}
    )
    published = uow.surveys.get_version(version_id)
    if published is None:
        raise RuntimeError("internal error: expected published is not None")
    return published


def parse_definition(data: dict[str, Any]) -> SurveyDefinition:
    """Parse a definition document, turning problems into a ValidationFailed naming paths."""
    try:
        return definition_from_dict(data)
    except SurveyDefinitionError as exc:
        raise ValidationFailed(
            "the survey definition is not valid",
            [FieldError(p.path, p.message) for p in exc.problems],
        ) from exc


def get_published(
    uow: UnitOfWork, survey: int | str, principal: Principal | None = None
) -> PublishedSurvey:
    """The latest published version of a survey given by id or key."""
    if principal is not None:
        require(principal, Permission.VIEW_RESULTS)
    record = uow.surveys.get(survey) if isinstance(survey, int) else uow.surveys.by_key(survey)
    if record is None:
        raise NotFound(f"survey {survey} does not exist")
    version = uow.surveys.latest_published(record.id)
    if version is None:
        raise NotFound(f"survey {record.key} has no published version")
    key = ("definition", version.id, version.survey_id, version.checksum)
    definition: SurveyDefinition | None = uow.memo.get(key)
    if definition is None:  # published definitions never change: parse each once
        definition = uow.memo[key] = definition_from_dict(version.definition)
    return PublishedSurvey(record, version, definition)


def get_version(uow: UnitOfWork, version_id: int) -> PublishedSurvey:
    version = uow.surveys.get_version(version_id)
    if version is None:
        raise NotFound(f"survey version {version_id} does not exist")
    record = uow.surveys.get(version.survey_id)
    if record is None:
        raise RuntimeError("internal error: expected record is not None")
    return PublishedSurvey(record, version, definition_from_dict(version.definition))


def list_surveys(
    uow: UnitOfWork,
    principal: Principal,
    *,
    counted: bool = True,
    version: Hashable | None = None,
) -> list[dict[str, Any]]:
    """Surveys with their latest version and response count (None unless ``counted``:
    counting reads every response, a page choosing a survey by name need not).

    ``version``: the data version of ``uow``'s database read before its first statement
    (``AnalyticsEngine.data_version`` of the operational database), or None. The list is
    then kept in ``services.metrics.KEPT`` under it (the response counts scan every
    response): any commit that writes data gives a new version, so a kept list is never
    served after one. The permission check runs on every call.
    """
    require(principal, Permission.VIEW_RESULTS)
    if version is None:
        return _surveys(uow, counted)
    kept = metrics.kept_value(
        content_key(["surveys", version, counted]),
        lambda: _surveys(uow, counted),
        lambda listed: 8 * len(listed),
    )
    return [dict(s) for s in kept]


def _surveys(uow: UnitOfWork, counted: bool) -> list[dict[str, Any]]:
    org_name = organisation_name(uow)
    out = []
    for record in uow.surveys.all():
        versions = uow.surveys.versions(record.id)
        latest = versions[-1] if versions else None
        out.append(
            {
                "id": record.id,
                "key": record.key,
                "title": fill_placeholders(record.title, {"org": org_name}),
                "audience": record.audience,
                "anonymous": record.anonymous,
                "version": latest.version if latest else None,
                "status": latest.status if latest else None,
                "responses": uow.responses.count(record.id) if counted else None,
            }
        )
    return out
