"""Qualtrics: a survey definition (``.qsf``) and a response CSV (legacy or current layout).

Mapping rules (docs/importers.md has the table):

* the survey flow's blocks → pages, a ``Page Break`` inside a block starts a new page;
  branches and randomizers are flattened in order (reported);
* ``MC`` single answer (``SAVR``, ``SAHR``, ``SACOL``, ``DL``, ``SB``) → single choice,
  multiple answer (``MAVR``, ``MAHR``, ``MACOL``, ``MSB``) → multi choice, ``NPS`` → NPS
  (tagged ``loyalty.recommend``); option ids from the recode values (the values the CSV
  holds);
* ``Matrix``/``Likert`` single answer with 5 or 7 scale points → a Likert matrix (rows as
  matrix rows, values by scale position), otherwise one single choice per row; multiple
  answer → one multi choice per row;
* ``Slider`` → one number per statement (bounds kept); ``CS`` (constant sum) → one number
  per item (the total is not checked: reported); ``TE`` → text (``FORM``: one text per
  field); ``DB`` → display text;
* question ``DisplayLogic`` on an earlier question's choice (Selected / Not Selected) or
  number → ``show_if``; otherwise reported and the question is always shown;
* translations (``Language``) → Rapport translations;
* embedded data fields set in the flow → response attributes (their CSV columns).

Everything else (side by side, rank order, skip logic, choice display logic, timing,
captcha, …) is listed in the plan's ``unsupported`` with what happens to it.
The responses are read by :mod:`~rapport.importers.formats.qualtrics_responses`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from rapport.errors import FieldError, ValidationFailed
from rapport.importers.formats._ids import IdMaker, survey_key
from rapport.importers.formats._text import plain
from rapport.importers.formats.plan import (
    ImportPlan,
    MappingRow,
    ReadOptions,
    Unsupported,
    build_definition,
)
from rapport.importers.text_files import decode_text

SINGLE: Final = frozenset({"SAVR", "SAHR", "SACOL", "DL", "SB"})
MULTI: Final = frozenset({"MAVR", "MAHR", "MACOL", "MSB"})
SLIDERS: Final = frozenset({"HSLIDER", "HBAR", "STAR"})
TEXTS: Final = frozenset({"SL", "ML", "ESTB", "PW"})
NOT_IMPORTED: Final = {
    "SBS": "side-by-side questions have no Rapport type; the question and its answers are "
    "not imported",
    "RO": "rank order has no Rapport type; the question and its rankings are not imported",
    "Timing": "page timers are not imported (neither the question nor its times)",
    "Meta": "browser meta information is not imported",
    "Captcha": "captcha verification is not imported",
    "FileUpload": "uploaded files are not imported (neither the question nor the files)",
    "Draw": "signatures/drawings are not imported",
    "HeatMap": "heat maps have no Rapport type; not imported",
    "HotSpot": "hot spots have no Rapport type; not imported",
    "PGR": "pick, group and rank has no Rapport type; not imported",
    "GAP": "gap analysis has no Rapport type; not imported",
    "HL": "highlight questions have no Rapport type; not imported",
    "DD": "drill-down questions have no Rapport type; not imported",
    "TreeOption": "drill-down questions have no Rapport type; not imported",
}
FLOW_FEATURES: Final = {
    "Branch": "flattened: the blocks inside are shown to everyone, in order (the branch "
    "condition is not imported)",
    "BlockRandomizer": "flattened: the blocks are shown in the order written, none skipped",
    "Randomizer": "flattened: the blocks are shown in the order written, none skipped",
    "EndSurvey": "not imported: the survey ends after its last page",
    "WebService": "not imported: no web service is called",
    "Authenticator": "not imported: the survey is not behind a log-in; blocks inside are kept",
    "Quota": "not imported: no quotas are checked",
    "TableOfContents": "flattened: blocks inside are shown in order",
}


class NotExpressible(Exception):
    """A Qualtrics logic expression Rapport's condition language cannot say."""


@dataclass
class QtColumn:
    """How one response column (a QID sub-part such as ``2`` or ``1-3``) is read."""

    question: str  # Rapport question id
    read: str  # choice, multi, matrix, row_choice, row_multi, number, text, nps
    row: str | None = None  # Rapport matrix row id (matrix)
    values: dict[str, Any] = field(default_factory=dict)  # cell → option id / scale value
    option: str | None = None  # the option a multi column ticks


@dataclass
class QtQuestion:
    """What a Qualtrics question became: its Rapport questions and its CSV columns."""

    qid: str
    tag: str
    data: list[dict[str, Any]]
    columns: dict[str, QtColumn]  # sub-key ("" / "1" / "1-2" / "TEXT") → reader
    kind: str  # how conditions refer to it: choice, multi, matrix, row_choice, number, none
    choice_options: dict[str, str] = field(default_factory=dict)  # Qualtrics key → option
    row_ids: dict[str, str] = field(default_factory=dict)  # row key → Rapport id / row id
    row_values: dict[str, dict[str, Any]] = field(default_factory=dict)  # row → answer key→v
    ignored: dict[str, str] = field(default_factory=dict)  # sub-key → why not imported


def load_qsf(data: bytes) -> dict[str, Any]:
    text, _ = decode_text(data, "definition")
    try:
        survey = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            "the definition is not valid JSON",
            [FieldError(f"definition: line {exc.lineno}, column {exc.colno}", exc.msg, "syntax")],
        ) from exc
    if not isinstance(survey, dict) or not isinstance(survey.get("SurveyElements"), list):
        message = 'expected a Qualtrics .qsf object with "SurveyEntry" and "SurveyElements"'
        raise ValidationFailed(
            "the definition is not a Qualtrics survey (.qsf)",
            [FieldError("definition", message, "format")],
        )
    return survey


def language_code(code: str) -> str | None:
    """A Qualtrics language code as a Rapport one (``EN`` → ``en``, ``PT-BR`` → ``pt-BR``);
    None for codes with no such form (``ZH-S``).

    >>> language_code("ES"), language_code("PT-BR"), language_code("ZH-S")
    ('es', 'pt-BR', None)
    """
    m = re.fullmatch(r"([A-Za-z]{2})(?:[-_]([A-Za-z]{2}))?", code.strip())
    if not m:
        return None
    return m.group(1).lower() + (f"-{m.group(2).upper()}" if m.group(2) else "")


def _keys(mapping: Any, order: Any = None) -> list[str]:
    """The keys of a Qualtrics ``Choices``/``Answers`` object in display order."""
    if not isinstance(mapping, Mapping):
        return []
    keys = [str(k) for k in mapping]
    if isinstance(order, list):
        ordered = [str(k) for k in order if str(k) in mapping]
        return ordered + [k for k in keys if k not in ordered]
    return sorted(
        keys,
        key=lambda k: (not k.lstrip("-").isdigit(), int(k) if k.lstrip("-").isdigit() else 0, k),
    )


class _Builder:
    def __init__(self, survey: Mapping[str, Any], options: ReadOptions) -> None:
        entry = survey.get("SurveyEntry") or {}
        self.options = options
        self.entry = entry if isinstance(entry, Mapping) else {}
        self.language = language_code(str(self.entry.get("SurveyLanguage") or "EN")) or "en"
        self.languages: dict[str, None] = {self.language: None}
        self.ids = IdMaker()
        self.mapping: list[MappingRow] = []
        self.unsupported: list[Unsupported] = []
        self.warnings: list[str] = []
        self.questions: dict[str, QtQuestion] = {}  # QID → what it became (in page order)
        self.by_tag: dict[str, str] = {}  # DataExportTag → QID
        self.embedded: list[str] = []
        self.required = 0
        self.payloads: dict[str, Mapping[str, Any]] = {}
        self.blocks: dict[str, Mapping[str, Any]] = {}
        self.flow: Mapping[str, Any] = {}
        for element in survey.get("SurveyElements") or []:
            if not isinstance(element, Mapping):
                continue
            kind, payload = element.get("Element"), element.get("Payload")
            if kind == "SQ" and isinstance(payload, Mapping) and payload.get("QuestionID"):
                self.payloads[str(payload["QuestionID"])] = payload
            elif kind == "BL":
                blocks = payload.values() if isinstance(payload, Mapping) else payload or []
                for block in blocks:
                    if isinstance(block, Mapping) and block.get("ID"):
                        self.blocks[str(block["ID"])] = block
            elif kind == "FL" and isinstance(payload, Mapping):
                self.flow = payload

    def report(self, source: str, feature: str, what_happens: str) -> None:
        self.unsupported.append(Unsupported(source, feature, what_happens))

    # -- texts -----------------------------------------------------------------------------

    def text(self, payload: Mapping[str, Any], *path: str, fallback: str = "") -> Any:
        """The text at ``path`` in the payload with its translations (``Language``)."""
        found = _dig(payload, path)
        base = plain(found) if isinstance(found, str) else ""
        if not base:
            return fallback
        texts = {self.language: base}
        for code, translated in (payload.get("Language") or {}).items():
            lang = language_code(str(code))
            value = _dig(translated, path) if isinstance(translated, Mapping) else None
            if lang and lang != self.language and isinstance(value, str) and plain(value):
                texts[lang] = plain(value)
                self.languages[lang] = None
        return texts if len(texts) > 1 else base

    # -- flow and pages ------------------------------------------------------------------------

    def pages(self) -> list[dict[str, Any]]:
        order: list[str] = []
        self.walk(self.flow, order)
        if not order:  # no flow: the blocks in the order written
            order = [b for b, block in self.blocks.items() if block.get("Type") != "Trash"]
        pages: list[dict[str, Any]] = []
        for block_id in order:
            block = self.blocks.get(block_id)
            if block is None:
                self.report(block_id, "flow refers to a missing block", "skipped")
                continue
            current: list[dict[str, Any]] = []
            name = str(block.get("Description") or block_id)
            for item in block.get("BlockElements") or []:
                if not isinstance(item, Mapping):
                    continue
                if item.get("Type") == "Page Break":
                    self.close(pages, current, name)
                    current = []
                elif item.get("Type") == "Question":
                    qid = str(item.get("QuestionID"))
                    if item.get("SkipLogic"):
                        self.report(
                            self.tag(qid),
                            "skip logic",
                            "not imported: respondents see every following question",
                        )
                    current.extend(self.question(qid))
            self.close(pages, current, name)
        for block_id, block in self.blocks.items():
            if block_id in order:
                continue
            n = sum(1 for e in block.get("BlockElements") or [] if e.get("Type") == "Question")
            if block.get("Type") == "Trash":
                if n:
                    self.report(
                        block_id, "trash", f"not imported: {n} deleted question(s) in the trash"
                    )
            elif n:
                self.report(
                    str(block.get("Description") or block_id),
                    "block not in the survey flow",
                    f"not imported: respondents never saw its {n} question(s)",
                )
        return pages

    def close(
        self, pages: list[dict[str, Any]], questions: list[dict[str, Any]], name: str
    ) -> None:
        if questions:
            page_id = self.ids.make(f"page {len(pages) + 1}")
            pages.append({"id": page_id, "title": name, "questions": questions})

    def walk(self, node: Mapping[str, Any], order: list[str]) -> None:
        for item in node.get("Flow") or []:
            if not isinstance(item, Mapping):
                continue
            kind = str(item.get("Type"))
            if kind in ("Block", "Standard", "Default") and item.get("ID"):
                order.append(str(item["ID"]))
            elif kind == "EmbeddedData":
                for f in item.get("EmbeddedData") or []:
                    if isinstance(f, Mapping) and f.get("Field"):
                        self.embedded.append(str(f["Field"]))
            elif kind in FLOW_FEATURES:
                self.report(str(item.get("FlowID") or kind), kind, FLOW_FEATURES[kind])
            elif kind != "Group":
                self.report(str(item.get("FlowID") or kind), f"flow element {kind}", "not imported")
            self.walk(item, order)

    def tag(self, qid: str) -> str:
        payload = self.payloads.get(qid) or {}
        return str(payload.get("DataExportTag") or qid)

    # -- questions -------------------------------------------------------------------------

    def question(self, qid: str) -> list[dict[str, Any]]:
        p = self.payloads.get(qid)
        if p is None:
            self.report(qid, "block refers to a missing question", "skipped")
            return []
        if qid in self.questions:
            return []
        tag = self.tag(qid)
        self.by_tag[tag] = qid
        kind, selector = str(p.get("QuestionType")), str(p.get("Selector"))
        made = self.make(qid, tag, kind, selector, p)
        if made is None:
            return []
        self.questions[qid] = made
        self.features(made, p)
        return made.data

    def features(self, q: QtQuestion, p: Mapping[str, Any]) -> None:
        logic = p.get("DisplayLogic")
        if isinstance(logic, Mapping) and logic:
            try:
                condition = self.condition(logic)
                for data in q.data:
                    data["show_if"] = condition
            except NotExpressible as why:
                self.report(q.tag, "display logic", f"not imported ({why}); always shown")
        if p.get("SkipLogic"):
            self.report(q.tag, "skip logic", "not imported: respondents see every question")
        for key in _keys(p.get("Choices")):
            choice = p["Choices"][key]
            if isinstance(choice, Mapping) and choice.get("DisplayLogic"):
                self.report(
                    f"{q.tag} [{key}]", "choice display logic", "not imported: always shown"
                )
        if isinstance(p.get("Randomization"), Mapping) and p["Randomization"].get("Type") not in (
            None,
            "None",
        ):
            self.report(q.tag, "choice randomization", "choices keep the order written")
        validation = (p.get("Validation") or {}).get("Settings") or {}
        if validation.get("ForceResponse") == "ON":
            self.required += 1
        for sub, reason in q.ignored.items():
            if sub != "TEXT":  # the single-answer form of the same text box
                self.report(f"{q.tag} [{sub}]", "text entry beside a choice", reason)

    def add(self, source: str, data: dict[str, Any]) -> dict[str, Any]:
        self.mapping.append(
            MappingRow(source, data["id"], data["type"], tuple(data.get("tags", ())))
        )
        return data

    def option_list(
        self, p: Mapping[str, Any], what: str = "Choices"
    ) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, str]]:
        """(Rapport options, Qualtrics key → option id, CSV value → option id)."""
        recodes = p.get("RecodeValues" if what == "Choices" else "AnswerRecodeValues") or {}
        if what == "Answers" and not recodes:
            recodes = p.get("RecodeValues") or {}
        order = p.get("ChoiceOrder" if what == "Choices" else "AnswerOrder")
        raw = p.get(what) or {}
        option_ids = IdMaker("option")
        options, by_key, by_value = [], {}, {}
        for key in _keys(raw, order):
            value = str(recodes.get(key, key))
            option_id = option_ids.make(value)
            by_key[key] = option_id
            by_value[value] = option_id
            options.append(
                {"id": option_id, "text": self.text(p, what, key, "Display", fallback=value)}
            )
        return options, by_key, by_value

    def make(
        self, qid: str, tag: str, kind: str, selector: str, p: Mapping[str, Any]
    ) -> QtQuestion | None:
        text = self.text(p, "QuestionText", fallback=tag)
        if kind in NOT_IMPORTED:
            self.report(tag, f"{kind} question", NOT_IMPORTED[kind])
            return None
        if kind == "DB":
            if not text or text == tag:
                self.report(tag, "empty descriptive text", "dropped")
                return None
            data = self.add(tag, {"id": self.ids.make(tag), "type": "display", "text": text})
            return QtQuestion(qid, tag, [data], {}, "none")
        if kind == "MC" and selector == "NPS":
            return self.nps(qid, tag, text, p)
        if kind == "MC" and (selector in SINGLE or selector in MULTI):
            return self.choice(qid, tag, text, p, selector in MULTI)
        if kind == "Matrix" and selector in ("Likert", "Bipolar"):
            return self.matrix(qid, tag, text, p)
        if kind == "Slider" or (kind == "CS"):
            return self.numbers(qid, tag, text, p, kind)
        if kind == "TE" and selector in TEXTS:
            data = self.add(tag, {"id": self.ids.make(tag), "type": "text", "text": text})
            reader = QtColumn(data["id"], "text")
            return QtQuestion(qid, tag, [data], {"TEXT": reader, "": reader}, "text")
        if kind == "TE" and selector == "FORM":
            return self.form(qid, tag, text, p)
        self.report(tag, f"{kind}/{selector} question", "unknown to the importer; not imported")
        return None

    def nps(self, qid: str, tag: str, text: Any, p: Mapping[str, Any]) -> QtQuestion:
        data = self.add(
            tag,
            {"id": self.ids.make(tag), "type": "nps", "text": text, "tags": ["loyalty.recommend"]},
        )
        recodes = p.get("RecodeValues") or {}
        values: dict[str, Any] = {}
        for key in _keys(p.get("Choices")):
            value = str(recodes.get(key, key))
            display = _dig(p, ("Choices", key, "Display"))
            score = str(display).strip() if isinstance(display, str) else value
            values[value] = int(score) if score.lstrip("-").isdigit() else score
        column = QtColumn(data["id"], "nps", values=values)
        return QtQuestion(qid, tag, [data], {"": column, "NPS-GROUP": QtColumn("", "skip")}, "nps")

    def choice(
        self, qid: str, tag: str, text: Any, p: Mapping[str, Any], multi: bool
    ) -> QtQuestion:
        options, by_key, by_value = self.option_list(p)
        if not multi and len(options) < 2:
            self.report(
                tag,
                "single answer with one choice",
                "imported as a multiple choice (Rapport's single choice needs two options)",
            )
            multi = True
        kind = "multi_choice" if multi else "single_choice"
        data = self.add(
            tag, {"id": self.ids.make(tag), "type": kind, "text": text, "options": options}
        )
        columns: dict[str, QtColumn] = {}
        ignored: dict[str, str] = {}
        if multi:
            for key, option in by_key.items():
                columns[key] = QtColumn(data["id"], "multi", option=option)
        else:
            columns[""] = QtColumn(data["id"], "choice", values=by_value)
        for key in by_key:
            if _dig(p, ("Choices", key, "TextEntry")) in ("true", True):
                why = "not imported: the choice is imported, the text written beside it is not"
                ignored[f"{key}-TEXT"] = why
                if not multi:
                    ignored["TEXT"] = why
        q = QtQuestion(qid, tag, [data], columns, "multi" if multi else "choice", by_key)
        q.ignored = ignored
        return q

    def matrix(self, qid: str, tag: str, text: Any, p: Mapping[str, Any]) -> QtQuestion | None:
        rows = _keys(p.get("Choices"), p.get("ChoiceOrder"))
        answers = _keys(p.get("Answers"), p.get("AnswerOrder"))
        multi = p.get("SubSelector") == "MultipleAnswer"
        if not rows or not answers:
            self.report(tag, "matrix without statements or scale points", "not imported")
            return None
        options, by_key, by_value = self.option_list(p, "Answers")
        columns: dict[str, QtColumn] = {}
        ignored: dict[str, str] = {}
        for row in rows:
            if _dig(p, ("Choices", row, "TextEntry")) in ("true", True):
                ignored[f"{row}-TEXT"] = "not imported: the row's answers are, its text is not"
        if not multi and len(answers) in (5, 7):
            matrix_id = self.ids.make(tag)
            row_ids = IdMaker("row")
            out_rows = []
            q = QtQuestion(qid, tag, [], columns, "matrix")
            values = {value: position for position, value in enumerate(by_value, start=1)}
            for row in rows:
                rid = row_ids.make(f"{row}")
                out_rows.append(
                    {"id": rid, "text": self.text(p, "Choices", row, "Display", fallback=row)}
                )
                self.mapping.append(MappingRow(f"{tag} [{row}]", f"{matrix_id}.{rid}", "matrix"))
                columns[row] = QtColumn(matrix_id, "matrix", row=rid, values=values)
                q.row_ids[row] = rid
                q.row_values[row] = {k: values[str(v)] for k, v in _recoded(p, answers).items()}
            q.data.append(
                {
                    "id": matrix_id,
                    "type": "matrix",
                    "text": text,
                    "scale": {"points": len(answers)},
                    "rows": out_rows,
                }
            )
            q.ignored = ignored
            return q
        if not multi and len(options) < 2:
            self.report(
                tag,
                "matrix with one scale point",
                "each statement is imported as a multiple choice of that one point",
            )
            multi = True
        elif not multi:
            self.report(
                tag,
                f"matrix with {len(answers)} scale points",
                "each statement becomes a single choice of the scale points (Rapport's "
                "Likert matrices have 5 or 7)",
            )
        else:
            self.report(tag, "multiple-answer matrix", "each statement becomes a multiple choice")
        q = QtQuestion(qid, tag, [], columns, "row_multi" if multi else "row_choice", by_key)
        for row in rows:
            row_text = self.text(p, "Choices", row, "Display", fallback=row)
            kind = "multi_choice" if multi else "single_choice"
            rid = self.ids.make(f"{tag} {row}")
            data = {"id": rid, "type": kind, "text": _join(text, row_text), "options": options}
            self.add(f"{tag} [{row}]", data)
            q.data.append(data)
            q.row_ids[row] = rid
            if multi:
                for key, option in by_key.items():
                    columns[f"{row}-{key}"] = QtColumn(rid, "multi", option=option)
            else:
                columns[row] = QtColumn(rid, "choice", values=by_value)
        q.ignored = ignored
        return q

    def numbers(self, qid: str, tag: str, text: Any, p: Mapping[str, Any], kind: str) -> QtQuestion:
        config = p.get("Configuration") or {}
        bounds: dict[str, Any] = {}
        if kind == "Slider":
            for key, source in (("min", "CSSliderMin"), ("max", "CSSliderMax")):
                if isinstance(config.get(source), int | float):
                    bounds[key] = config[source]
            integer = str(config.get("NumDecimals", "0")) == "0"
        else:
            bounds["min"] = 0
            integer = True
            total = _dig(p, ("Validation", "Settings", "ChoiceTotal"))
            self.report(
                tag,
                "constant sum",
                "each item becomes a number (0 or more); the total"
                + (f" of {total}" if total else "")
                + " is not checked",
            )
        q = QtQuestion(qid, tag, [], {}, "number")
        for key in _keys(p.get("Choices"), p.get("ChoiceOrder")):
            item = self.text(p, "Choices", key, "Display", fallback=key)
            rid = self.ids.make(f"{tag} {key}")
            data = {
                "id": rid,
                "type": "number",
                "text": _join(text, item),
                **bounds,
                "integer": integer,
            }
            q.data.append(self.add(f"{tag} [{key}]", data))
            q.columns[key] = QtColumn(rid, "number")
            q.row_ids[key] = rid
        return q

    def form(self, qid: str, tag: str, text: Any, p: Mapping[str, Any]) -> QtQuestion:
        q = QtQuestion(qid, tag, [], {}, "text")
        for key in _keys(p.get("Choices"), p.get("ChoiceOrder")):
            item = self.text(p, "Choices", key, "Display", fallback=key)
            rid = self.ids.make(f"{tag} {key}")
            data = {"id": rid, "type": "text", "text": _join(text, item)}
            q.data.append(self.add(f"{tag} [{key}]", data))
            q.columns[key] = QtColumn(rid, "text")
        return q

    # -- display logic ---------------------------------------------------------------------

    def condition(self, logic: Mapping[str, Any]) -> dict[str, Any]:
        """Qualtrics ``DisplayLogic`` (sets of expressions joined by And/Or) as a condition."""
        result: dict[str, Any] | None = None
        for group_key in sorted((k for k in logic if str(k).isdigit()), key=int):
            group = logic[group_key]
            if not isinstance(group, Mapping):
                continue
            part: dict[str, Any] | None = None
            for key in sorted((k for k in group if str(k).isdigit()), key=int):
                expression = group[key]
                if not isinstance(expression, Mapping):
                    continue
                cond = self.expression(expression)
                part = cond if part is None else _combine(part, cond, expression.get("Conjuction"))
            if part is not None:
                conj = group.get("Conjuction") or "Or"
                result = part if result is None else _combine(result, part, conj)
        if result is None:
            raise NotExpressible("no expression found")
        return result

    def expression(self, e: Mapping[str, Any]) -> dict[str, Any]:
        if e.get("LogicType") != "Question":
            raise NotExpressible(f"{e.get('LogicType')} conditions have no Rapport form")
        left = str(e.get("LeftOperand") or "")
        m = re.fullmatch(r"q://(QID\d+)/(\w+)/(\w+)(?:/(\w+))?", left)
        if not m:
            raise NotExpressible(f"operand {left!r}")
        qid, what, first, second = m.groups()
        q = self.questions.get(qid)
        if q is None:
            raise NotExpressible(f"{qid} is not an earlier imported question")
        op = str(e.get("Operator"))
        if what == "SelectableChoice" and op in ("Selected", "NotSelected"):
            if q.kind in ("choice", "multi") and second is None and first in q.choice_options:
                qop = "==" if q.kind == "choice" else "contains"
                cond: dict[str, Any] = {
                    "question": q.data[0]["id"],
                    "op": qop,
                    "value": q.choice_options[first],
                }
            elif q.kind == "matrix" and second is not None and first in q.row_ids:
                value = q.row_values[first].get(second)
                if value is None:
                    raise NotExpressible(f"scale point {second} of {qid}")
                cond = {
                    "question": q.data[0]["id"],
                    "row": q.row_ids[first],
                    "op": "==",
                    "value": value,
                }
            elif (
                q.kind in ("row_choice", "row_multi") and second is not None and first in q.row_ids
            ):
                if second not in q.choice_options:
                    raise NotExpressible(f"scale point {second} of {qid}")
                cond = {
                    "question": q.row_ids[first],
                    "op": "==" if q.kind == "row_choice" else "contains",
                    "value": q.choice_options[second],
                }
            else:
                raise NotExpressible(f"{left} on a {q.kind} question")
            if op == "Selected":
                return cond
            return {"any": [{"question": cond["question"], "op": "not_answered"}, {"not": cond}]}
        numeric = {
            "EqualTo": "==",
            "NotEqualTo": "!=",
            "GreaterThan": ">",
            "GreaterThanOrEqual": ">=",
            "LessThan": "<",
            "LessThanOrEqual": "<=",
        }
        if what == "ChoiceNumericEntryValue" and q.kind == "number" and op in numeric:
            if first not in q.row_ids:
                raise NotExpressible(f"item {first} of {qid}")
            try:
                number = float(str(e.get("RightOperand")))
            except ValueError as exc:
                raise NotExpressible(f"{e.get('RightOperand')!r} is not a number") from exc
            bound: Any = int(number) if number.is_integer() else number
            return {"question": q.row_ids[first], "op": numeric[op], "value": bound}
        raise NotExpressible(f"{what} {op}")


def _recoded(p: Mapping[str, Any], answers: list[str]) -> dict[str, Any]:
    recodes = p.get("AnswerRecodeValues") or p.get("RecodeValues") or {}
    return {key: recodes.get(key, key) for key in answers}


def _combine(left: dict[str, Any], right: dict[str, Any], conjunction: Any) -> dict[str, Any]:
    op = "any" if str(conjunction).lower() == "or" else "all"
    if op in left and len(left) == 1:
        return {op: [*left[op], right]}
    return {op: [left, right]}


def _join(first: Any, second: Any) -> Any:
    from rapport.importers.formats._text import joined

    return joined(first, second)


def _dig(value: Any, path: tuple[str, ...] | list[str]) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def read_qualtrics(definition: bytes, responses: bytes | None, options: ReadOptions) -> ImportPlan:
    """Read a Qualtrics .qsf (and optionally its response CSV, either layout) into a plan."""
    from rapport.importers.formats.qualtrics_responses import read_responses

    survey = load_qsf(definition)
    b = _Builder(survey, options)
    pages = b.pages()
    if not pages:
        raise ValidationFailed(
            "the survey has no importable questions",
            [
                FieldError(
                    "definition", "expected questions in the blocks of the survey flow", "empty"
                )
            ],
        )
    if b.embedded:
        b.warnings.append(
            "embedded data kept as response attributes (dropped on anonymous surveys): "
            + ", ".join(dict.fromkeys(b.embedded))
        )
    if b.required:
        b.warnings.append(
            f"{b.required} question(s) with Force Response are imported as optional, so "
            "earlier responses without an answer can be imported"
        )
    title = str(b.entry.get("SurveyName") or options.source_name)
    data: dict[str, Any] = {
        "key": options.survey_key or survey_key(title),
        "title": title,
        "audience": options.audience,
        "default_language": b.language,
        "languages": list(b.languages),
        "pages": pages,
    }
    if isinstance(b.entry.get("SurveyDescription"), str) and plain(b.entry["SurveyDescription"]):
        data["description"] = plain(b.entry["SurveyDescription"])
    built = build_definition(data, "the Qualtrics survey")
    plan = ImportPlan("qualtrics", built, b.mapping, [], b.unsupported, b.warnings)
    if responses is not None:
        plan.responses = read_responses(responses, b, options)
    return plan
