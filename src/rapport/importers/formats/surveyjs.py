"""SurveyJS: a survey JSON (``pages`` or top-level ``elements``) and its results: a JSON list
(:mod:`surveyjs_results`) or the CSV/.xlsx table SurveyJS Dashboard exports
(:mod:`surveyjs_csv`).

Mapping rules (docs/importers.md has the table):

* pages → pages; panels are flattened onto their page (reported), a panel's or page's
  ``visibleIf`` is added to each of its questions' conditions;
* ``text`` → text, number (``inputType: number``) or date; ``comment`` → text;
* ``radiogroup``/``dropdown``/``buttongroup``/``imagepicker`` → single choice,
  ``checkbox``/``tagbox`` (and a multi-select image picker) → multi choice;
  ``showOtherItem`` and ``showNoneItem`` become the options ``other`` and ``none``;
* ``rating`` → NPS when it runs 0–10 (tagged ``loyalty.recommend``), Likert when it runs
  1–5 or 1–7, else an integer number with its bounds; a single ``slider`` → number;
* ``boolean`` → single choice ``yes``/``no``;
* ``matrix`` → one question per row (Likert when the columns are 1–5 or 1–7, else single
  choice of the columns); ``multipletext`` → one text question per item;
* ``html`` → display text; ``visibleIf`` → ``show_if`` where
  :mod:`~rapport.importers.formats.surveyjs_logic` can say it.

Everything else is listed in the plan's ``unsupported`` with what happens to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from rapport.domain.logic import Condition
from rapport.domain.survey import (
    Translatable,
    condition_to_dict,
)
from rapport.importers.formats._ids import IdMaker, survey_key
from rapport.importers.formats._text import every_text, joined, localized
from rapport.importers.formats._tokens import NotExpressible
from rapport.importers.formats.plan import (
    ImportPlan,
    MappingRow,
    ReadOptions,
    Unsupported,
    build_definition,
)
from rapport.importers.formats.surveyjs_csv import read_table_results
from rapport.importers.formats.surveyjs_logic import parse_expression
from rapport.importers.formats.surveyjs_results import (
    SjsQuestion,
    choice_key,
    load_json,
    looks_like_json,
    not_surveyjs,
    read_results,
)

SINGLE: Final = frozenset({"radiogroup", "dropdown", "buttongroup"})
MULTI: Final = frozenset({"checkbox", "tagbox"})
NOT_IMPORTED: Final = {
    "ranking": "ranking questions have no Rapport type; the question and its answers are "
    "not imported",
    "signaturepad": "signatures are not imported (neither the question nor its images)",
    "file": "uploaded files are not imported (neither the question nor the files)",
    "expression": "computed values are not imported; Rapport computes its own indices",
    "image": "images are not shown; the element is dropped",
    "matrixdropdown": "matrices of dropdowns/cells have no Rapport type; the question and "
    "its answers are not imported",
    "matrixdynamic": "dynamic matrices have no Rapport type; the question and its answers "
    "are not imported",
    "paneldynamic": "repeating panels have no Rapport type; the panel, its questions and "
    "their answers are not imported",
}
QUESTION_FEATURES: Final = {
    "enableIf": "ignored: the question is always enabled",
    "requiredIf": "ignored: the question is never required",
    "validators": "not imported: answers are checked only against the Rapport type",
    "correctAnswer": "not imported: Rapport does not score quizzes",
    "defaultValue": "not imported: the question starts empty",
    "choicesVisibleIf": "ignored: every choice is shown",
    "choicesEnableIf": "ignored: every choice can be chosen",
    "choicesByUrl": "not imported: only the choices written in the survey are kept",
    "maxSelectedChoices": "not imported: any number of choices may be picked",
    "minSelectedChoices": "not imported: any number of choices may be picked",
    "showSelectAllItem": "ignored: there is no 'select all' choice",
    "readOnly": "ignored: the question can be answered",
}
SURVEY_FEATURES: Final = {
    "completedHtmlOnCondition": "not imported: every respondent sees the one thank-you text",
    "triggers": "not imported: no answers are set or pages skipped automatically",
    "calculatedValues": "not imported",
    "timeLimit": "not imported: there is no time limit",
    "maxTimeToFinish": "not imported: there is no time limit",
    "showTimer": "not imported: no timer is shown",
    "firstPageIsStartPage": "the start page is imported as an ordinary first page",
    "navigateToUrl": "not imported: respondents see Rapport's thank-you page",
    "navigateToUrlOnCondition": "not imported: respondents see Rapport's thank-you page",
    "logo": "not imported: Rapport shows the organisation's own page",
}
HANDLED: Final = frozenset({"title", "description", "pages", "elements", "questions"})
HANDLED_SURVEY: Final = HANDLED | {"completedHtml", "locale"}


class _Builder:
    def __init__(self, options: ReadOptions, survey: Mapping[str, Any]) -> None:
        self.options = options
        self.language = str(survey.get("locale") or "en")
        self.ids = IdMaker()
        self.pages: list[tuple[dict[str, Any], list[SjsQuestion]]] = []
        self.by_name: dict[str, list[SjsQuestion]] = {}
        self.plan_mapping: list[MappingRow] = []
        self.unsupported: list[Unsupported] = []
        self.warnings: list[str] = []
        self.languages: dict[str, None] = {self.language: None}
        self.required = 0
        self.not_imported: dict[str, Translatable] = {}  # name → title: CSV columns to skip

    def text(self, value: Any, fallback: str) -> Translatable:
        found = localized(value, self.language)
        if isinstance(value, dict):
            self.languages.update(dict.fromkeys(k for k in value if k != "default"))
        return found if found is not None else fallback

    def report(self, source: str, feature: str, what_happens: str) -> None:
        self.unsupported.append(Unsupported(source, feature, what_happens))

    def page(self, index: int, page: Mapping[str, Any]) -> None:
        name = str(page.get("name") or f"page{index + 1}")
        data: dict[str, Any] = {"id": self.ids.make(name)}
        if page.get("title"):
            data["title"] = self.text(page["title"], name)
        questions: list[SjsQuestion] = []
        condition = page.get("visibleIf")
        for element in _list(page.get("elements") or page.get("questions")):
            self.element(element, questions, condition, f"page {name}")
        if not questions:
            self.report(name, "page without importable questions", "the page is dropped")
            return
        self.pages.append((data, questions))

    def element(
        self, element: Any, out: list[SjsQuestion], inherited: str | None, where: str
    ) -> None:
        if not isinstance(element, Mapping):
            self.report(where, "element that is not an object", "skipped")
            return
        kind = str(element.get("type", ""))
        name = str(element.get("name") or f"{kind} on {where}")
        condition = _both(inherited, element.get("visibleIf"))
        if kind == "panel":
            inner = _list(element.get("elements"))
            self.report(
                name,
                "panel",
                f"flattened: its {len(inner)} elements are placed on the page "
                "in order; the panel title is not shown",
            )
            for child in inner:
                self.element(child, out, condition, where)
            return
        if kind in NOT_IMPORTED:
            self.report(name, f"{kind} question", NOT_IMPORTED[kind])
            self.not_imported[name] = self.text(element.get("title"), name)
            return
        if name in self.by_name and kind != "html":
            self.report(
                name,
                "question name used twice",
                "SurveyJS stores one answer under the name; only the first is imported",
            )
            return
        made = self.question(kind, name, element)
        if made is None:
            if kind != "html":
                self.not_imported[name] = self.text(element.get("title"), name)
            return
        for q in made:
            q.expression = condition
            q.element, q.title = kind, self.text(element.get("title"), name)
            out.append(q)
            self.by_name.setdefault(name, []).append(q)
        for key, what in QUESTION_FEATURES.items():
            if element.get(key) not in (None, False, [], ""):
                self.report(name, key, what)
        if element.get("choicesOrder") in ("random", "asc", "desc"):
            self.report(
                name,
                f"choicesOrder {element['choicesOrder']}",
                "choices keep the order written in the survey",
            )
        if element.get("isRequired"):
            self.required += 1

    def question(self, kind: str, name: str, e: Mapping[str, Any]) -> list[SjsQuestion] | None:
        title = self.text(e.get("title"), name)
        base: dict[str, Any] = {"text": title}
        if e.get("description"):
            base["help"] = self.text(e["description"], "")
        if kind == "html":
            text = self.text(e.get("html"), "")
            if not text:
                self.report(name, "empty html element", "dropped")
                return None
            return [self.make(name, {"type": "display", "text": text}, "none")]
        if kind == "text":
            return [self.text_input(name, e, base)]
        if kind == "comment":
            return [self.make(name, {**base, "type": "text", **_max_length(e)}, "value")]
        if kind in SINGLE or kind in MULTI or kind == "imagepicker":
            multi = kind in MULTI or (kind == "imagepicker" and bool(e.get("multiSelect")))
            return [self.choice(name, e, base, multi)]
        if kind == "rating":
            return [self.rating(name, e, base)]
        if kind == "slider":
            if e.get("sliderType") == "range":
                self.report(name, "range slider", "not imported: Rapport numbers hold one value")
                return None
            return [self.number(name, base, e.get("min", 0), e.get("max", 100), e.get("step"))]
        if kind == "boolean":
            yes = self.text(e.get("labelTrue"), "Yes")
            no = self.text(e.get("labelFalse"), "No")
            options = [{"id": "yes", "text": yes}, {"id": "no", "text": no}]
            q = self.make(name, {**base, "type": "single_choice", "options": options}, "bool")
            q.labels = _labels(options)
            q.values = {
                choice_key(e.get("valueTrue", True)): "yes",
                choice_key(e.get("valueFalse", False)): "no",
            }
            return [q]
        if kind == "matrix":
            return self.matrix(name, e, title)
        if kind == "multipletext":
            return self.multiple_text(name, e, title)
        self.report(name, f"{kind or 'untyped'} element", "unknown to the importer; not imported")
        return None

    def make(
        self, source: str, data: dict[str, Any], read: str, item: str | None = None
    ) -> SjsQuestion:
        data = {"id": self.ids.make(f"{source}_{item}" if item else source), **data}
        tags = tuple(data.get("tags", ()))
        label = f"{source} [{item}]" if item else source
        self.plan_mapping.append(MappingRow(label, data["id"], data["type"], tags))
        return SjsQuestion(data, source, read, item=item)

    def text_input(self, name: str, e: Mapping[str, Any], base: dict[str, Any]) -> SjsQuestion:
        input_type = str(e.get("inputType") or "text")
        if input_type in ("number", "range"):
            return self.number(name, base, e.get("min"), e.get("max"), e.get("step"))
        if input_type == "date":
            return self.make(name, {**base, "type": "date"}, "value")
        if input_type != "text":
            self.report(
                name, f"inputType {input_type}", "imported as free text; the format is not checked"
            )
        return self.make(name, {**base, "type": "text", **_max_length(e)}, "value")

    def number(
        self, name: str, base: dict[str, Any], low: Any, high: Any, step: Any
    ) -> SjsQuestion:
        data: dict[str, Any] = {**base, "type": "number"}
        for key, bound in (("min", low), ("max", high)):
            if _is_number(bound):
                data[key] = bound
        if step is None or (isinstance(step, int) and not isinstance(step, bool)):
            data["integer"] = all(isinstance(data.get(k, 0), int) for k in ("min", "max"))
        return self.make(name, data, "value")

    def choices(self, name: str, raw: Any) -> tuple[list[dict[str, Any]], dict[str, str]]:
        options: list[dict[str, Any]] = []
        values: dict[str, str] = {}
        option_ids = IdMaker("option")
        for choice in _list(raw):
            value = choice.get("value") if isinstance(choice, Mapping) else choice
            label = choice.get("text") if isinstance(choice, Mapping) else None
            option_id = option_ids.make(str(value))
            values[choice_key(value)] = option_id
            options.append({"id": option_id, "text": self.text(label, str(value))})
        return options, values

    def shown_values(self, raw: Any) -> dict[str, Any]:
        """Each item's shown text (every language) → its value, where they differ."""
        out: dict[str, Any] = {}
        for item in _list(raw):
            if isinstance(item, Mapping) and item.get("text") is not None:
                for text in every_text(localized(item["text"], self.language)):
                    out.setdefault(text, item.get("value"))
        return out

    def choice(
        self, name: str, e: Mapping[str, Any], base: dict[str, Any], multi: bool
    ) -> SjsQuestion:
        options, values = self.choices(name, e.get("choices"))
        extra = (
            ("showNoneItem", "none", "noneText", "None"),
            ("showOtherItem", "other", "otherText", "Other (describe)"),
        )
        for flag, value, text_key, default in extra:
            if (e.get(flag) or e.get(flag.replace("Item", ""))) and value not in values:
                values[value] = value
                options.append({"id": value, "text": self.text(e.get(text_key), default)})
                if value == "other":
                    self.report(
                        name,
                        "showOtherItem comment",
                        "the choice 'other' is imported; the text written beside it is not",
                    )
        kind = "multi_choice" if multi else "single_choice"
        q = self.make(
            name, {**base, "type": kind, "options": options}, "choices" if multi else "choice"
        )
        q.values, q.labels = values, _labels(options)
        return q

    def rating(self, name: str, e: Mapping[str, Any], base: dict[str, Any]) -> SjsQuestion:
        rate_values = _list(e.get("rateValues"))
        if rate_values:
            values = [v.get("value") if isinstance(v, Mapping) else v for v in rate_values]
            numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
            if len(numbers) == len(values):
                low, high, step = min(numbers), max(numbers), 1
                labels = self.shown_values(rate_values)
            else:
                options, mapping = self.choices(name, rate_values)
                q = self.make(name, {**base, "type": "single_choice", "options": options}, "choice")
                q.values, q.labels = mapping, _labels(options)
                return q
        else:
            low, high, step = e.get("rateMin", 1), e.get("rateMax", 5), e.get("rateStep", 1)
            labels = {}
        scale: dict[str, Any] = {}
        for key, source in (("low", "minRateDescription"), ("high", "maxRateDescription")):
            if e.get(source):
                scale[key] = self.text(e[source], "")
        recommend = "recommend" in str(localized(e.get("title"), self.language)).lower()
        if (low, high, step) == (1, 10, 1) and recommend:
            self.report(
                name,
                "rating 1–10",
                "a recommendation question on 1–10 (SurveyJS "
                "starts ratings at 1 unless rateMin is 0) is imported as NPS 0–10",
            )
            low = 0
        if (low, high, step) == (0, 10, 1):
            data = {**base, "type": "nps", "tags": ["loyalty.recommend"]}
            q = self.make(name, {**data, **({"scale": scale} if scale else {})}, "value")
        elif low == 1 and high in (5, 7) and step == 1:
            data = {**base, "type": "likert", "scale": {"points": high, **scale}}
            q = self.make(name, data, "value")
        else:
            self.report(
                name,
                f"rating {low}–{high}",
                "imported as an integer number with these "
                "bounds (Rapport's rating scales are 0–10, 1–5 and 1–7)",
            )
            q = self.number(name, base, low, high, step)
        q.labels = labels
        return q

    def matrix(self, name: str, e: Mapping[str, Any], title: Translatable) -> list[SjsQuestion]:
        options, values = self.choices(name, e.get("columns"))
        raw = [v.get("value") if isinstance(v, Mapping) else v for v in _list(e.get("columns"))]
        likert = len(raw) in (5, 7) and raw == list(range(1, len(raw) + 1))
        self.report(
            name,
            "matrix",
            f"each of its {len(_list(e.get('rows')))} rows is imported as a question of its own",
        )
        out = []
        for row in _list(e.get("rows")):
            value = row.get("value") if isinstance(row, Mapping) else row
            label = row.get("text") if isinstance(row, Mapping) else None
            text = joined(title, self.text(label, str(value)))
            if likert:
                data: dict[str, Any] = {
                    "type": "likert",
                    "text": text,
                    "scale": {"points": len(raw)},
                }
            else:
                data = {"type": "single_choice", "text": text, "options": options}
            q = self.make(name, data, "row" if likert else "row_choice", item=str(value))
            q.values, q.item_title = values, self.text(label, str(value))
            q.labels = self.shown_values(e.get("columns")) if likert else _labels(options)
            out.append(q)
        return out

    def multiple_text(
        self, name: str, e: Mapping[str, Any], title: Translatable
    ) -> list[SjsQuestion]:
        out = []
        for item in _list(e.get("items")):
            if not isinstance(item, Mapping) or not item.get("name"):
                continue
            item_title = self.text(item.get("title"), str(item["name"]))
            text = joined(title, item_title)
            q = self.make(name, {"type": "text", "text": text}, "row", item=str(item["name"]))
            q.item_title = item_title
            out.append(q)
        return out

    # -- display logic -------------------------------------------------------------------

    def conditions(self) -> None:
        """Turn each question's visibleIf into ``show_if`` or an unsupported entry."""
        seen: dict[str, SjsQuestion] = {}
        for _, questions in self.pages:
            for q in questions:
                if q.expression:
                    try:
                        cond = self.condition(q.expression, seen)
                        q.data["show_if"] = condition_to_dict(cond)
                    except NotExpressible as why:
                        self.report(
                            q.source,
                            f"visibleIf {q.expression}",
                            f"not imported ({why}); the question is always shown",
                        )
                if q.item is None:
                    seen[q.source] = q

    def condition(self, text: str, seen: Mapping[str, SjsQuestion]) -> Condition:
        def question_id(name: str) -> str:
            if name not in seen:
                raise NotExpressible(f"{{{name}}} is not an earlier imported question")
            return str(seen[name].data["id"])

        def resolve(name: str, value: object) -> Any:
            q = seen[name]
            if q.read in ("choice", "choices", "bool"):
                if choice_key(value) not in q.values:
                    raise NotExpressible(f"{value!r} is not a choice of {{{name}}}")
                return q.values[choice_key(value)]
            if isinstance(value, bool):
                raise NotExpressible(f"{{{name}}} is not a yes/no question")
            return value

        return parse_expression(
            text, question_id, resolve, lambda name: seen[name].read == "choices"
        )

    # -- results -------------------------------------------------------------------------


def _labels(options: list[dict[str, Any]]) -> dict[str, str]:
    """Each option's text (every language) → its id: what a CSV export shows."""
    out: dict[str, str] = {}
    for option in options:
        for text in every_text(option["text"]):
            out.setdefault(text, option["id"])
    return out


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _list(value: Any) -> list[Any]:
    """A list the survey holds, or none (a malformed survey is reported, not a crash)."""
    return value if isinstance(value, list) else []


def _max_length(e: Mapping[str, Any]) -> dict[str, int]:
    n = e.get("maxLength")
    return {"max_length": n} if isinstance(n, int) and n > 0 else {}


def _both(first: Any, second: Any) -> str | None:
    parts = [str(p) for p in (first, second) if isinstance(p, str) and p.strip()]
    if len(parts) > 1:
        return " and ".join(f"({p})" for p in parts)
    return parts[0] if parts else None


def read_surveyjs(definition: bytes, responses: bytes | None, options: ReadOptions) -> ImportPlan:
    """Read a SurveyJS survey JSON (and optionally a JSON list of results) into a plan."""
    survey = load_json(definition, "definition")
    if not isinstance(survey, Mapping):
        raise not_surveyjs("definition", 'expected a SurveyJS survey object ({"pages": [...]})')
    b = _Builder(options, survey)
    if isinstance(survey.get("pages"), list):
        for index, page in enumerate(survey["pages"]):
            if isinstance(page, Mapping):
                b.page(index, page)
    elif isinstance(survey.get("elements") or survey.get("questions"), list):
        b.page(0, {"name": "page1", "elements": survey.get("elements") or survey["questions"]})
    else:
        raise not_surveyjs("definition", 'expected "pages" or "elements" (a list)')
    for key, what in SURVEY_FEATURES.items():
        if survey.get(key):
            b.report("survey", key, what)
    skipped = sorted(k for k in survey if k not in HANDLED_SURVEY and k not in SURVEY_FEATURES)
    if skipped:
        b.warnings.append(
            "appearance settings not imported (Rapport's own layout is used): " + ", ".join(skipped)
        )
    if b.required:
        b.warnings.append(
            f"{b.required} question(s) marked isRequired are imported as optional, so "
            "earlier responses without an answer can be imported; mark them required in "
            "Rapport for new responses"
        )
    b.conditions()
    title = b.text(survey.get("title"), options.source_name)
    data: dict[str, Any] = {
        "key": options.survey_key
        or survey_key(
            survey["title"] if isinstance(survey.get("title"), str) else options.source_name
        ),
        "title": title,
        "audience": options.audience,
        "default_language": b.language,
        "languages": list(b.languages),
        "pages": [
            {**page, "questions": [q.data for q in questions]} for page, questions in b.pages
        ],
    }
    if survey.get("description"):
        data["description"] = b.text(survey["description"], "")
    if survey.get("completedHtml"):
        data["thank_you"] = b.text(survey["completedHtml"], "")
        if re.search(r"\{[^{}]+\}", str(survey["completedHtml"])):
            b.report(
                "survey",
                "placeholders in completedHtml",
                "shown as written (such as {correctAnswers}): Rapport fills only {org}",
            )
    built = build_definition(data, "the SurveyJS survey")
    plan = ImportPlan("surveyjs", built, b.plan_mapping, [], b.unsupported, b.warnings)
    if responses is not None and looks_like_json(responses):
        plan.responses = read_results(responses, b.by_name, b.report, b.warnings)
    elif responses is not None:  # the CSV (or .xlsx) table SurveyJS Dashboard downloads
        plan.responses = read_table_results(
            responses, b.by_name, b.not_imported, b.report, b.warnings, options.timezone
        )
    return plan
