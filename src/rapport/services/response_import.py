"""Import responses from CSV: all or nothing, with a report naming row, column and reason."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime

from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.answers import (
    AnswerValues,
    PlainCells,
    answer_values,
    normalise_answers,
    validate_answers,
)
from rapport.domain.org import Permission, PersonKind, Principal
from rapport.errors import FieldError, ValidationFailed
from rapport.importers.csv_responses import CsvRow, decode, iter_chunks, read_rows
from rapport.services import confidentiality
from rapport.services.access import require
from rapport.services.bulk import gc_paused
from rapport.services.clock import utcnow
from rapport.services.responses import Envelope, store_checked
from rapport.services.surveys import PublishedSurvey, get_published
from rapport.storage.uow import UnitOfWork

BATCH = 5000
MAX_REPORTED = 1000


@dataclass(frozen=True)
class ImportResult:
    survey_key: str
    rows: int
    encoding: str
    skipped: int = 0  # rows whose source response id was imported before


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _check_rows(
    uow: UnitOfWork,
    principal: Principal,
    published: PublishedSurvey,
    rows: list[CsvRow],
    progress: Callable[[int], None] | None,
) -> tuple[list[tuple[Envelope, list[AnswerValues]]], list[FieldError]]:
    """Each row's submission and answer values, and every problem found.

    Rows whose cells are all in plain form are read directly (:class:`PlainCells`); the
    rest are normalised and validated one by one, which words the errors.
    """
    defn = published.definition
    plain = PlainCells(defn)
    units = {}
    closed_on = {}  # archived units take rows from before they closed only
    for u in uow.units.all():
        if principal.sees_unit(u.path):
            units[u.code] = units[u.path] = u.id
            if u.closed_on is not None:
                closed_on[u.id] = u.closed_on
    kind = PersonKind(published.survey.audience)
    people = uow.people.by_external_id(kind) if any(r.meta.get("person") for r in rows) else {}
    checked: list[tuple[Envelope, list[AnswerValues]]] = []
    errors: list[FieldError] = []
    for chunk in iter_chunks(rows, BATCH):
        for row in chunk:
            where = f"row {row.line}"  # only in messages, when something is wrong
            meta = row.meta
            unit_id = units.get(meta.get("unit", ""))
            if unit_id is None:
                errors.append(
                    FieldError(
                        f"{where}, column unit",
                        f"no unit {row.meta.get('unit', '')!r} in your scope",
                        "unknown_unit",
                    )
                )
            submitted = None
            if row.meta.get("submitted_at"):
                try:
                    submitted = _parse_time(row.meta["submitted_at"])
                except ValueError:
                    errors.append(
                        FieldError(
                            f"{where}, column submitted_at",
                            "expected an ISO 8601 date-time",
                            "type",
                        )
                    )
            person = None
            if row.meta.get("person"):
                person = people.get(row.meta["person"])
                if person is None:
                    errors.append(
                        FieldError(
                            f"{where}, column person",
                            f"no {kind.value} {row.meta['person']!r}",
                            "unknown_person",
                        )
                    )
            values = plain.values(row.raw)
            if values is None:
                typed, problems = normalise_answers(defn, row.raw)
                if not problems:
                    problems = validate_answers(defn, typed)
                errors += [
                    FieldError(f"{where}, column {p.question_id}", p.message, p.code)
                    for p in problems
                ]
                values = [] if problems else answer_values(defn, typed)
            closed = closed_on.get(unit_id) if unit_id is not None else None
            if closed is not None and (submitted or utcnow()).date() >= closed:
                errors.append(
                    FieldError(
                        f"{where}, column unit",
                        f"unit {meta['unit']!r} was archived on {closed}; "
                        "only responses from before that date can be imported",
                        "closed_unit",
                    )
                )
            if unit_id is not None and not errors:
                sub = Envelope(
                    unit_id=unit_id,
                    person=person,
                    channel="import",
                    language=row.meta.get("language") or defn.default_language,
                    submitted_at=submitted,
                    attributes=row.attributes,
                )
                checked.append((sub, values))
        if progress:
            progress(len(chunk))
    return checked, errors


def import_responses(
    uow: UnitOfWork,
    principal: Principal,
    survey: int | str,
    data: bytes,
    progress: Callable[[int], None] | None = None,
    *,
    keep_original: bool = False,
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
    total: Callable[[int], None] | None = None,
    pause_gc: bool = True,
) -> ImportResult:
    """Check every row, then write all of them, or nothing when any row is invalid.
    Only admins import into a protected (employee) survey.

    ``progress`` is called with row counts twice per row: once while checking, once while
    writing; ``total`` is told that sum (``2 × rows``) once the file is parsed. The cyclic
    garbage collector is paused meanwhile (:mod:`rapport.services.bulk`) unless
    ``pause_gc=False``: a server that goes on answering other requests must not pause it.
    """
    with gc_paused() if pause_gc else nullcontext():
        return _import(uow, principal, survey, data, progress, total, keep_original, policy)


def _import(
    uow: UnitOfWork,
    principal: Principal,
    survey: int | str,
    data: bytes,
    progress: Callable[[int], None] | None,
    total: Callable[[int], None] | None,
    keep_original: bool,
    policy: SuppressionPolicy,
) -> ImportResult:
    require(principal, Permission.IMPORT_DATA)
    published = get_published(uow, survey)
    confidentiality.check_import(principal, policy, audience=published.survey.audience)
    if b"\x00" in data:  # no CSV text holds NUL bytes; spreadsheets, images and zips do
        raise ValidationFailed(
            "the file is not CSV text",
            [FieldError("file", "it holds binary data; save the sheet as CSV (UTF-8)", "binary")],
        )
    text, encoding = decode(data)
    rows, errors = read_rows(text, published.definition)
    if total:
        total(2 * len(rows))
    if errors:
        raise ValidationFailed("the file's columns do not match the survey", errors)
    return store_rows(
        uow, principal, published, rows, encoding, progress=progress, keep_original=keep_original
    )


def store_rows(
    uow: UnitOfWork,
    principal: Principal,
    published: PublishedSurvey,
    rows: list[CsvRow],
    encoding: str,
    *,
    progress: Callable[[int], None] | None = None,
    keep_original: bool = False,
    scope: str = "",
) -> ImportResult:
    """Check every row, then write all of them or none (the caller checked permissions).

    Rows with a ``key`` are idempotent within ``scope`` (e.g. ``import:surveyjs``): a key
    stored before, or repeated in ``rows``, is skipped and counted, never imported twice.
    """
    skipped = 0
    if any(row.key for row in rows):
        known = uow.responses.idempotency_keys(published.survey.id, scope)
        fresh = []
        for row in rows:
            if row.key and row.key in known:
                skipped += 1
                continue
            if row.key:
                known.add(row.key)
            fresh.append(row)
        rows = fresh
    checked, errors = _check_rows(uow, principal, published, rows, progress)
    if errors:
        bad_rows = len({e.location.split(",")[0] for e in errors})
        raise ValidationFailed(
            f"{len(errors)} problem(s) in {bad_rows} row(s); nothing was imported",
            errors[:MAX_REPORTED],
        )
    keys = [row.key for row in rows]
    for start in range(0, len(checked), BATCH):
        batch = checked[start : start + BATCH]
        store_checked(
            uow,
            published,
            batch,
            keep_original=keep_original,
            keys=keys[start : start + BATCH],
            scope=scope,
        )
        if progress:
            progress(len(batch))
    uow.audit.record(
        principal.name,
        "responses.import",
        published.survey.key,
        datetime.now(UTC),
        {"rows": len(checked), "encoding": encoding} | ({"skipped": skipped} if scope else {}),
    )
    return ImportResult(published.survey.key, len(checked), encoding, skipped)
