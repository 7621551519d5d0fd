"""Comments on ingest: redact personal data, read emotions, keep the model version.

Every free-text answer is redacted (e-mail addresses, phone and card numbers, URLs, IBANs,
cued names) before it is stored, so nothing downstream (pages, exports, analytics) sees the
original unless ``keep_original`` is set. Emotions are read from the original text by the
default model of :mod:`rapport.text` in one batch per call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rapport.domain.survey import QuestionType, SurveyDefinition, definition_from_dict
from rapport.domain.survey.rows import AnswerValues
from rapport.storage.uow import UnitOfWork


def text_question_ids(definition: SurveyDefinition) -> list[str]:
    return [q.id for q in definition.questions if q.type is QuestionType.TEXT]


def redact_values(
    definition: SurveyDefinition, groups: Sequence[Sequence[AnswerValues]]
) -> Sequence[Sequence[AnswerValues]]:
    """Groups of long-form answer values with every free-text value redacted (the same
    groups when the survey asks for no free text)."""
    texts = frozenset(text_question_ids(definition))
    if not texts:
        return groups
    from rapport.text import redact_pii

    seen: dict[str, str] = {}  # short comments repeat: redact each text once

    def redact(row: AnswerValues) -> AnswerValues:
        text = row[3]
        if text is None:
            raise RuntimeError("internal error: expected text is not None")
        clean = seen.get(text)
        if clean is None:
            clean = seen[text] = redact_pii(text)
        return (row[0], row[1], row[2], clean)

    return [
        [redact(row) if row[3] and row[0] in texts else row for row in values] for values in groups
    ]


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (set, frozenset, list, tuple)):
        return " ".join(sorted(str(v) for v in value))
    return "" if value is None else str(value)


def analyse(
    definition: SurveyDefinition,
    answer_sets: Sequence[Mapping[str, Any]],
    *,
    keep_original: bool = False,
) -> list[list[dict[str, Any]]]:
    """Per answer set, one analysis row per non-empty free-text answer (no response id yet)."""
    qids = text_question_ids(definition)
    slots: list[tuple[int, str, str]] = []
    for i, answers in enumerate(answer_sets):
        for qid in qids:
            value = answers.get(qid)
            if isinstance(value, str) and value.strip():
                slots.append((i, qid, value))
    out: list[list[dict[str, Any]]] = [[] for _ in answer_sets]
    if not slots:
        return out
    from rapport.text import load_model

    model = load_model()
    predictions = model.predict([text for _, _, text in slots])
    for (i, qid, text), p in zip(slots, predictions, strict=True):
        out[i].append(
            {
                "question_id": qid,
                "model_version": model.version,
                "status": str(getattr(p, "status", "ok")),
                "sentiment": _primary_sentiment(p),
                "labels": _as_text(getattr(p, "labels", ())),
                "ekman": _as_text(getattr(p, "ekman", ())),
                "original_text": text if keep_original else None,
            }
        )
    return out


def rescore(
    uow: UnitOfWork, progress: Callable[[int], None] | None = None, batch: int = 2000
) -> int:
    """Re-read every comment not yet analysed by the current model; returns how many.

    Uses the kept original where configured, otherwise the stored (redacted) text.
    """
    from rapport.text import load_model

    model = load_model()
    done = 0
    for survey in uow.surveys.all():
        for version in uow.surveys.versions(survey.id):
            defn = definition_from_dict(version.definition)
            qids = text_question_ids(defn)
            if not qids:
                continue
            stale = uow.comments.stale(version.id, qids, model.version)
            for start in range(0, len(stale), batch):
                chunk = stale[start : start + batch]
                predictions = model.predict([orig or text for _, _, text, orig in chunk])
                uow.comments.replace_analyses(
                    [
                        {
                            "response_id": rid,
                            "question_id": qid,
                            "model_version": model.version,
                            "status": str(getattr(p, "status", "ok")),
                            "sentiment": _primary_sentiment(p),
                            "labels": _as_text(getattr(p, "labels", ())),
                            "ekman": _as_text(getattr(p, "ekman", ())),
                            "original_text": orig,
                        }
                        for (rid, qid, _, orig), p in zip(chunk, predictions, strict=True)
                    ]
                )
                done += len(chunk)
                if progress:
                    progress(len(chunk))
    return done


def _primary_sentiment(prediction: object) -> str | None:
    """The one sentiment shown and filtered on (the model's primary, else the set joined)."""
    primary = getattr(prediction, "primary_sentiment", None)
    if isinstance(primary, str):
        return primary
    return _as_text(getattr(prediction, "sentiment", None)) or None
