"""Plain-language error texts for the respondent form.

The domain's :class:`~rapport.domain.answers.AnswerError` messages are precise and meant
for machines and developers (``nps: expected an integer 0–10, got 11``); the API keeps
them. Respondents read what to do instead (``Please choose a number from 0 to 10.``), in
the form's language, decided here from the error's stable ``code``, the question and
the row or emotion it is about.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Final

from rapport.domain.answers import AnswerCode, AnswerError
from rapport.domain.survey import EMOTION_LABELS, SCALE_TYPES, Question, QuestionType

Translate = Callable[[object], str]

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "scale": "Please choose a number from {low} to {high}.",
        "scale_labelled": "Please choose one of the answers.",
        "row": "Please choose a number from {low} to {high} for “{item}”.",
        "rows": "Please answer every statement.",
        "single": "Please choose one of the options.",
        "multi": "Please choose at least one option.",
        "option": "Please choose from the options shown.",
        "emotion": "Please choose how strongly you felt “{item}”.",
        "emotions": "Please choose at least one feeling.",
        "text": "Please write an answer.",
        "too_long": "Please shorten your answer to {max} characters or fewer.",
        "number": "Please enter a number.",
        "whole": "Please enter a whole number, such as 12.",
        "number_between": "Please enter a number from {low} to {high}.",
        "number_min": "Please enter a number of {low} or more.",
        "number_max": "Please enter a number of {high} or less.",
        "date": "Please enter a date, such as {example}.",
        "date_between": "Please enter a date from {low} to {high}.",
        "date_min": "Please enter a date on or after {low}.",
        "date_max": "Please enter a date on or before {high}.",
        "other": "Please check this answer.",
    },
    "es": {
        "scale": "Elija un número del {low} al {high}.",
        "scale_labelled": "Elija una de las respuestas.",
        "row": "Elija un número del {low} al {high} para «{item}».",
        "rows": "Responda a todas las afirmaciones.",
        "single": "Elija una de las opciones.",
        "multi": "Elija al menos una opción.",
        "option": "Elija entre las opciones que se muestran.",
        "emotion": "Elija con qué intensidad se sintió «{item}».",
        "emotions": "Elija al menos un sentimiento.",
        "text": "Escriba una respuesta.",
        "too_long": "Acorte su respuesta a {max} caracteres como máximo.",
        "number": "Escriba un número.",
        "whole": "Escriba un número entero, por ejemplo 12.",
        "number_between": "Escriba un número del {low} al {high}.",
        "number_min": "Escriba un número igual o mayor que {low}.",
        "number_max": "Escriba un número igual o menor que {high}.",
        "date": "Escriba una fecha, por ejemplo {example}.",
        "date_between": "Escriba una fecha entre el {low} y el {high}.",
        "date_min": "Escriba una fecha a partir del {low}.",
        "date_max": "Escriba una fecha hasta el {high}.",
        "other": "Revise esta respuesta.",
    },
    "de": {
        "scale": "Bitte wählen Sie eine Zahl von {low} bis {high}.",
        "scale_labelled": "Bitte wählen Sie eine der Antworten.",
        "row": "Bitte wählen Sie eine Zahl von {low} bis {high} für „{item}“.",
        "rows": "Bitte beantworten Sie jede Aussage.",
        "single": "Bitte wählen Sie eine der Optionen.",
        "multi": "Bitte wählen Sie mindestens eine Option.",
        "option": "Bitte wählen Sie aus den angezeigten Optionen.",
        "emotion": "Bitte wählen Sie, wie stark Sie sich „{item}“ gefühlt haben.",
        "emotions": "Bitte wählen Sie mindestens ein Gefühl.",
        "text": "Bitte schreiben Sie eine Antwort.",
        "too_long": "Bitte kürzen Sie Ihre Antwort auf höchstens {max} Zeichen.",
        "number": "Bitte geben Sie eine Zahl ein.",
        "whole": "Bitte geben Sie eine ganze Zahl ein, zum Beispiel 12.",
        "number_between": "Bitte geben Sie eine Zahl von {low} bis {high} ein.",
        "number_min": "Bitte geben Sie eine Zahl ab {low} ein.",
        "number_max": "Bitte geben Sie eine Zahl bis {high} ein.",
        "date": "Bitte geben Sie ein Datum ein, zum Beispiel {example}.",
        "date_between": "Bitte geben Sie ein Datum vom {low} bis {high} ein.",
        "date_min": "Bitte geben Sie ein Datum ab dem {low} ein.",
        "date_max": "Bitte geben Sie ein Datum bis zum {high} ein.",
        "other": "Bitte prüfen Sie diese Antwort.",
    },
}
DATE_EXAMPLE: Final = date(2026, 12, 31)


def plain_error(question: Question, error: AnswerError, lang: str, t: Translate) -> str:
    """What the respondent should do about ``error``, in ``lang`` (English if unknown).

    ``t`` turns a survey text (a row's, an emotion's label) into the form's language.

    >>> from rapport.domain.survey import Question, QuestionType
    >>> nps = Question("nps", QuestionType.NPS, "Recommend?")
    >>> plain_error(nps, AnswerError("nps", AnswerCode.RANGE, "nps: ... got 11"), "en", str)
    'Please choose a number from 0 to 10.'
    """
    words = MESSAGES.get(lang.split("-")[0], MESSAGES["en"])
    key, values = _message_key(question, error, t)
    return words[key].format(**values)


def _message_key(q: Question, error: AnswerError, t: Translate) -> tuple[str, dict[str, object]]:
    code = error.code
    if code in (AnswerCode.UNKNOWN_OPTION, AnswerCode.DUPLICATE):
        return "option", {}
    if q.type in SCALE_TYPES and q.scale is not None:
        if q.scale.labels:
            return "scale_labelled", {}
        return "scale", {"low": q.scale.min, "high": q.scale.max}
    if q.type is QuestionType.MATRIX and q.scale is not None:
        row = next((r for r in q.rows if r.id == error.item), None)
        if row is None:
            return "rows", {}
        return "row", {"low": q.scale.min, "high": q.scale.max, "item": t(row.text)}
    if q.type is QuestionType.EMOTION_PICKER:
        if error.item is None:
            return "emotions", {}
        return "emotion", {"item": t(EMOTION_LABELS.get(error.item, error.item))}
    if q.type is QuestionType.SINGLE_CHOICE:
        return "single", {}
    if q.type is QuestionType.MULTI_CHOICE:
        return "multi", {}
    if q.type is QuestionType.TEXT:
        if code is AnswerCode.TOO_LONG:
            return "too_long", {"max": q.text_max_length}
        return "text", {}
    if q.type is QuestionType.NUMBER:
        if q.integer and code is AnswerCode.TYPE:
            return "whole", {}
        return _bounded("number", q.min_value, q.max_value)
    if q.type is QuestionType.DATE:
        if code is AnswerCode.TYPE:
            return "date", {"example": DATE_EXAMPLE.isoformat()}
        return _bounded("date", q.min_date, q.max_date)
    return "other", {}


def _bounded(kind: str, low: object, high: object) -> tuple[str, dict[str, object]]:
    values: dict[str, object] = {"low": _show(low), "high": _show(high)}
    values["example"] = DATE_EXAMPLE.isoformat()
    if low is not None and high is not None:
        return f"{kind}_between", values
    if low is not None:
        return f"{kind}_min", values
    if high is not None:
        return f"{kind}_max", values
    return kind, values


def _show(bound: object) -> str:
    if isinstance(bound, float) and bound.is_integer():
        return str(int(bound))
    return "" if bound is None else str(bound)
