"""Response use cases: validate answers against the version, store durably, idempotently."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.answers import AnswerValues, answer_values, validate_answers
from rapport.domain.org import Permission, Person, PersonKind, Principal, Role, Unit
from rapport.domain.survey.model import SurveyDefinition
from rapport.errors import Conflict, FieldError, ValidationFailed
from rapport.services import alerts, comments, confidentiality
from rapport.services.access import require, require_unit
from rapport.services.clock import as_utc, utcnow
from rapport.services.org import organisation_name
from rapport.services.surveys import PublishedSurvey, get_published
from rapport.services.units import require_open
from rapport.services.webhooks import events as webhook_events
from rapport.storage.uow import UnitOfWork

#: Person attributes that may travel with an anonymous employee response (nothing that
#: names a person); the tenure is kept as a band, never in days.
ANONYMOUS_ATTRIBUTES = frozenset({"role", "contract", "segment", "language"})
TENURE_BANDS = ((90, "0-3m"), (365, "3-12m"), (3 * 365, "1-3y"), (10**9, "3y+"))


@dataclass(frozen=True, kw_only=True)
class Envelope:
    """Who answered, in which unit, when and through which channel: a response without its
    answers (an import's fast path carries its answers as checked values beside it)."""

    unit_id: int
    person: Person | None = None
    channel: str = "api"
    language: str = "en"
    started_at: datetime | None = None
    submitted_at: datetime | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Submission(Envelope):
    """One response on its way in, from a form, the API, an import or the demo."""

    answers: Mapping[str, Any]
    idempotency_key: str | None = None
    #: Who the key belongs to ("token:7", "user:3"): the same key from another caller is
    #: another request, never a replay of someone else's response.
    idempotency_scope: str = ""


@dataclass(frozen=True)
class SubmitResult:
    response_id: int
    created: bool


def body_hash(answers: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> str:
    """A stable hash of a submission body, to detect idempotency-key reuse with new data."""
    payload = {"answers": answers, "extra": extra or {}}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def idempotency_scope(principal: Principal) -> str:
    """The caller an Idempotency-Key belongs to.

    >>> idempotency_scope(Principal("token", 7, "etl", Role.ANALYST))
    'token:7'
    """
    return f"{principal.kind}:{principal.id}"


def submission_hash(sub: Submission) -> str:
    """The hash an idempotency key is held to: every field of the request (answers, unit,
    person, language, start time), so a retry with any difference is a conflict."""
    started = as_utc(sub.started_at).isoformat() if sub.started_at else None
    extra = {
        "unit": sub.unit_id,
        "person": sub.person.id if sub.person else None,
        "language": sub.language,
        "started_at": started,
    }
    return body_hash(sub.answers, extra)


def tenure_band(days: int | None) -> str | None:
    """>>> tenure_band(400)
    '1-3y'
    """
    if days is None:
        return None
    return next(label for limit, label in TENURE_BANDS if days < limit)


def check_answers(definition: SurveyDefinition, answers: Mapping[str, Any]) -> None:
    """Raise ValidationFailed naming every failing question."""
    problems = validate_answers(definition, answers)
    if problems:
        raise ValidationFailed(
            f"{len(problems)} answer(s) are not valid for survey {definition.key}",
            [FieldError(p.question_id, p.message, p.code) for p in problems],
        )


def response_row(
    published: PublishedSurvey,
    sub: Envelope,
    *,
    idempotency_key: str | None = None,
    idempotency_scope: str = "",
    hash_: str | None = None,
) -> dict[str, Any]:
    """The response row of a submission (not its answers), honouring anonymity.

    For an anonymous survey the person is never stored: only the unit, a tenure band and
    the allowed attributes stay with the response.
    """
    # Stored as UTC: SQLite keeps no offset, so an aware time must be converted, not cut.
    submitted = as_utc(sub.submitted_at) if sub.submitted_at else utcnow()
    person = sub.person
    on: date = submitted.date()
    tenure = person.tenure_days(on) if person else None
    attributes: dict[str, Any] = dict(person.attributes) if person else {}
    attributes.update(sub.attributes)
    anonymous = published.survey.anonymous
    if anonymous:
        attributes = {k: v for k, v in attributes.items() if k in ANONYMOUS_ATTRIBUTES}
    band = tenure_band(tenure)
    if band:
        attributes["tenure_band"] = band
    response = {
        "survey_id": published.survey.id,
        "survey_version_id": published.version.id,
        "unit_id": sub.unit_id,
        "person_id": None if anonymous or person is None else person.id,
        "audience": published.survey.audience,
        "channel": sub.channel,
        "language": sub.language,
        "started_at": as_utc(sub.started_at) if sub.started_at else None,
        "submitted_at": submitted,
        "tenure_days": None if anonymous else tenure,
        "attributes": attributes,
        "idempotency_key": idempotency_key,
        "idempotency_scope": idempotency_scope,
        "body_hash": hash_,
    }
    return response


def submit(
    uow: UnitOfWork, published: PublishedSurvey, sub: Submission, *, keep_original: bool = False
) -> SubmitResult:
    """Validate and store one response; the caller's unit of work commits before 2xx.

    The same idempotency key with the same body returns the stored response (created=False);
    with a different body it is a Conflict. Free-text answers are stored redacted, with the
    emotions read in them (see :mod:`rapport.services.comments`).
    """
    hash_ = submission_hash(sub)
    scope = sub.idempotency_scope
    if sub.idempotency_key:
        existing = uow.responses.by_idempotency_key(published.survey.id, sub.idempotency_key, scope)
        if existing is not None:
            return _replay(existing, hash_, sub.idempotency_key)
    check_answers(published.definition, sub.answers)
    defn = published.definition
    [values] = comments.redact_values(defn, [answer_values(defn, sub.answers)])
    analyses = comments.analyse(defn, [sub.answers], keep_original=keep_original)
    row = response_row(
        published, sub, idempotency_key=sub.idempotency_key, idempotency_scope=scope, hash_=hash_
    )
    with uow.for_surveys([published.survey.id]):  # what was read of other surveys stays
        rid = uow.responses.add_one_idempotent(row, values)
        if rid is not None:
            uow.responses.add_analyses([{**a, "response_id": rid} for a in analyses[0]])
    if rid is None:  # a concurrent request with the same key won the race
        key = sub.idempotency_key or ""
        existing = uow.responses.by_idempotency_key(published.survey.id, key, scope)
        if existing is None:
            raise RuntimeError("internal error: expected existing is not None")
        return _replay(existing, hash_, sub.idempotency_key or "")
    keys = {sub.person.id: sub.person.external_id} if sub.person else None
    webhook_events.responses_created(uow, published, [(rid, row, values)], keys)
    alerts.on_stored(uow, published, [alerts.Stored(rid, sub.unit_id, values, analyses[0])])
    return SubmitResult(rid, True)


def _replay(existing: tuple[int, str | None], hash_: str, key: str) -> SubmitResult:
    if existing[1] != hash_:
        raise Conflict(f"Idempotency-Key {key!r} was already used with a different body")
    return SubmitResult(existing[0], False)


def store_many(
    uow: UnitOfWork,
    published: PublishedSurvey,
    subs: Sequence[Submission],
    *,
    validate: bool,
    keep_original: bool = False,
) -> list[int]:
    """Bulk insert submissions (imports, demo) in batched statements, comments analysed in
    one batch."""
    defn = published.definition
    if validate:
        for sub in subs:
            check_answers(defn, sub.answers)
    checked = [(sub, answer_values(defn, sub.answers)) for sub in subs]
    return store_checked(uow, published, checked, keep_original=keep_original)


def store_checked(
    uow: UnitOfWork,
    published: PublishedSurvey,
    checked: Sequence[tuple[Envelope, Sequence[AnswerValues]]],
    *,
    keep_original: bool = False,
    keys: Sequence[str | None] | None = None,
    scope: str = "",
) -> list[int]:
    """Bulk insert responses whose answers are already checked and in long form: each
    envelope with its answer values, as an import's fast path reads them
    (:class:`~rapport.domain.survey.rows.PlainCells`). ``keys`` (one per response) are
    stored as idempotency keys of ``scope`` (the source's response ids)."""
    defn = published.definition
    texts = set(comments.text_question_ids(defn))
    found = [
        {qid: text for qid, _, _, text in values if qid in texts} if texts else {}
        for _, values in checked
    ]
    analyses = comments.analyse(defn, found, keep_original=keep_original)
    redacted = comments.redact_values(defn, [values for _, values in checked])
    rows = [
        response_row(published, sub, idempotency_key=key, idempotency_scope=scope)
        for (sub, _), key in zip(checked, keys or [None] * len(checked), strict=True)
    ]
    with uow.for_surveys([published.survey.id]):  # what was read of other surveys stays
        ids = uow.responses.add_many(rows, redacted)
        uow.responses.add_analyses(
            [
                {**a, "response_id": rid}
                for rid, group in zip(ids, analyses, strict=True)
                for a in group
            ]
        )
    stored = zip(ids, checked, redacted, analyses, strict=True)
    people = {sub.person.id: sub.person.external_id for sub, _ in checked if sub.person}
    webhook_events.responses_created(
        uow, published, list(zip(ids, rows, redacted, strict=True)), people
    )
    alerts.on_stored(
        uow, published, [alerts.Stored(rid, sub.unit_id, v, a) for rid, (sub, _), v, a in stored]
    )
    return ids


def _resolve_unit(uow: UnitOfWork, principal: Principal, unit: str) -> Unit:
    found = uow.units.find(unit)
    if found is None:
        raise ValidationFailed(
            "unknown unit", [FieldError("unit", f"no unit with code or path {unit!r}")]
        )
    require_unit(principal, found)
    require_open(found)
    return found


def submit_as(
    uow: UnitOfWork,
    principal: Principal,
    survey_id: int,
    answers: Mapping[str, Any],
    *,
    unit: str,
    person: str | None = None,
    language: str = "en",
    started_at: datetime | None = None,
    idempotency_key: str | None = None,
    keep_original: bool = False,
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
) -> SubmitResult:
    """Submit through the API on behalf of ``principal`` (scope and permission checked).

    Staff never answer a protected (employee) survey: its answers come from invitations.
    """
    require(principal, Permission.SUBMIT_RESPONSES)
    published = get_published(uow, survey_id)
    confidentiality.refuse_staff_answers(
        policy, audience=published.survey.audience, survey_key=published.survey.key
    )
    target = _resolve_unit(uow, principal, unit)
    person_obj = None
    if person is not None:
        kind = PersonKind(published.survey.audience)
        person_obj = uow.people.by_key(kind, person.strip())
        if person_obj is None:
            raise ValidationFailed(
                "unknown person", [FieldError("person", f"no {kind.value} with id {person!r}")]
            )
    sub = Submission(
        answers=answers,
        unit_id=target.id,
        person=person_obj,
        channel="api",
        language=language,
        started_at=started_at,
        idempotency_key=idempotency_key,
        idempotency_scope=idempotency_scope(principal),
    )
    return submit(uow, published, sub, keep_original=keep_original)


def list_for(
    uow: UnitOfWork,
    principal: Principal,
    survey_id: int,
    *,
    unit: str | None,
    since: datetime | None,
    until: datetime | None,
    after: int,
    limit: int,
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of raw responses the principal may see; the read is audited.

    Raw responses of a protected (employee) survey are individual answers: only admins may
    list them (:func:`rapport.services.confidentiality.read_raw_rows`).
    """
    published = _raw_read(
        uow, principal, survey_id, policy, "responses.list",
        unit=unit, since=since, until=until, after=after,
    )  # fmt: skip
    return _page(uow, principal, published, unit, since, until, after, limit)


def _raw_read(
    uow: UnitOfWork,
    principal: Principal,
    survey_id: int,
    policy: SuppressionPolicy,
    action: str,
    **given: Any,
) -> PublishedSurvey:
    """The survey whose raw rows ``principal`` may read, with the read allowed by the
    confidentiality policy and audited as ``action`` with the filters ``given``."""
    require(principal, Permission.EXPORT)
    published = get_published(uow, survey_id)
    confidentiality.read_raw_rows(
        uow,
        principal,
        policy,
        audience=published.survey.audience,
        survey_key=published.survey.key,
        action=action,
        detail={k: str(v) for k, v in given.items() if v not in (None, 0)},
    )
    return published


def _page(
    uow: UnitOfWork,
    principal: Principal,
    published: PublishedSurvey,
    unit: str | None,
    since: datetime | None,
    until: datetime | None,
    after: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int | None]:
    anonymous = published.survey.anonymous
    units = {u.id: u for u in uow.units.all()}
    if unit is not None:
        root = _resolve_unit(uow, principal, unit)
        scope = [u.id for u in uow.units.subtree(root.path)]
    elif principal.role is Role.MANAGER:
        scope = [u.id for u in units.values() if principal.sees_unit(u.path)]
    else:
        scope = None
    rows = uow.responses.page(
        published.survey.id, scope, since=since, until=until, after_id=after, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    for r in rows:
        r["unit"] = units[r["unit_id"]].code
        r["submitted_at"] = as_utc(r["submitted_at"])
        if anonymous:
            r["person_id"] = None
    return rows, (rows[-1]["id"] if more and rows else None)


@dataclass(frozen=True)
class ResponseExport:
    """The responses a principal may export, with the published survey they answer (its
    definition labels the columns of an SPSS file)."""

    published: PublishedSurvey
    rows: list[dict[str, Any]]
    #: What ``{org}`` in the survey's texts reads as (the labels say what respondents saw).
    org_name: str


def export_for(
    uow: UnitOfWork,
    principal: Principal,
    survey_id: int,
    *,
    unit: str | None = None,
    fmt: str = "csv",
    page_size: int = 2000,
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
) -> ResponseExport:
    """Every response the principal may export (same rules as :func:`list_for`), audited
    once as an export in ``fmt``. Every export format reads through here, so a protected
    survey's rows leave to admins only, whatever the format."""
    published = _raw_read(
        uow, principal, survey_id, policy, "responses.export", unit=unit, format=fmt
    )
    out: list[dict[str, Any]] = []
    after = 0
    while True:
        rows, next_after = _page(uow, principal, published, unit, None, None, after, page_size)
        out += rows
        if next_after is None:
            return ResponseExport(published, out, organisation_name(uow))
        after = next_after
