"""LimeSurvey: a ``.lss`` survey structure (or ``.lsa`` archive) and its responses.

Read from every major version's XML (DBVersion 155 … 630, texts in the table rows or in
the ``*_l10ns`` tables of LimeSurvey 4+). Mapping rules (docs/importers.md has the table):

* groups → pages (by ``group_order``); questions by ``question_order``;
* ``T``/``S``/``U`` → text, ``N`` → number, ``D`` → date, ``X`` → display text;
* ``L``/``!``/``O`` → single choice of the answer options, ``Y`` → yes/no, ``G`` →
  female/male, ``5`` → Likert 5, ``M``/``P`` → multi choice of the subquestions;
  "other" becomes the option ``other`` (its text is reported, not imported);
* ``A`` (5-point array) → a Likert matrix; ``F``/``H``/``B``/``C``/``E`` arrays → one
  question per subquestion; ``K``/``Q`` (multiple numbers / short texts) → one number / text
  question per subquestion;
* relevance equations → ``show_if`` where :mod:`limesurvey_logic` can say them.

Everything else (ranking, dual scale, array of numbers/texts, file upload, equation,
language switch, question attributes, old-style conditions, …) is in ``unsupported``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Final

from rapport.domain.logic import ORDERING_OPS, PRESENCE_OPS, AllOf, AnyOf, Condition, Not
from rapport.domain.survey import Translatable, condition_to_dict
from rapport.importers.formats._ids import IdMaker, survey_key
from rapport.importers.formats._text import joined, plain
from rapport.importers.formats._tokens import NotExpressible
from rapport.importers.formats.limesurvey_logic import is_always, parse_relevance
from rapport.importers.formats.limesurvey_responses import Column, read_responses
from rapport.importers.formats.limesurvey_xml import (
    Row,
    not_limesurvey,
    parse_document,
    table,
    unpack_archive,
)
from rapport.importers.formats.plan import (
    ImportPlan,
    MappingRow,
    ReadOptions,
    Unsupported,
    build_definition,
)
from rapport.importers.formats.surveyjs_results import choice_key

NOT_IMPORTED: Final = {
    "R": "ranking",
    "1": "array dual scale",
    ":": "array of numbers",
    ";": "array of texts",
    "|": "file upload",
    "*": "equation",
    "I": "language switch",
}
FIXED: Final = {
    "Y": [("yes", "Yes", ("Y", "Yes")), ("no", "No", ("N", "No"))],
    "G": [("female", "Female", ("F", "Female")), ("male", "Male", ("M", "Male"))],
    "C": [
        ("yes", "Yes", ("Y", "Yes")),
        ("uncertain", "Uncertain", ("U", "Uncertain")),
        ("no", "No", ("N", "No")),
    ],
    "E": [
        ("increase", "Increase", ("I", "Increase")),
        ("same", "Same", ("S", "Same")),
        ("decrease", "Decrease", ("D", "Decrease")),
    ],
}
FREE_TEXT: Final = frozenset("TSU")
LISTS: Final = frozenset("L!O")
PER_ROW: Final = frozenset("FHBCE")
PLACEHOLDER: Final = re.compile(r"\{[^{}\s][^{}]*\}")
NUMERIC_TYPES: Final = frozenset({"number", "likert", "nps"})


@dataclass
class _Made:
    """A Rapport question being built, where its answers are, and its relevance."""

    data: dict[str, Any]
    code: str
    kind: str  # LimeSurvey type code
    values: dict[str, str] = field(default_factory=dict)  # LimeSurvey code/text → option id
    relevance: str = ""
    sub_relevance: str = ""  # the subquestion's own equation (one question per row)


class _Survey:
    def __init__(self, root: Any, options: ReadOptions) -> None:
        self.options = options
        surveys = table(root, "surveys")
        if not surveys:
            raise not_limesurvey("definition", "expected a <surveys> table (a .lss file)")
        s = surveys[0]
        self.sid = s.get("sid", "")
        self.language = s.get("language") or "en"
        extra = (s.get("additional_languages") or "").split()
        self.languages = list(dict.fromkeys([self.language, *extra]))
        self.root = root
        self.unsupported: list[Unsupported] = []
        self.warnings: list[str] = [f"LimeSurvey DBVersion {root.findtext('DBVersion', '?')}"]
        self.mapping: list[MappingRow] = []
        self.ids = IdMaker()
        self.columns: dict[str, Column] = {}
        self.made: list[tuple[str, list[_Made]]] = []
        self.pages_data: list[dict[str, Any]] = []
        self.by_code: dict[str, _Made] = {}
        self.ticks: dict[str, tuple[str, str]] = {}
        self.required = 0
        self._load()

    # -- reading the tables ----------------------------------------------------------------

    def _load(self) -> None:
        r = self.root
        self.texts: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
        rows = table(r, "questions") + table(r, "subquestions")
        for q in rows + table(r, "question_l10ns"):
            if "question" in q and q.get("language"):
                self.texts[q["qid"]][q["language"]] = (q["question"], q.get("help", ""))
        seen: set[str] = set()
        self.questions: list[Row] = []
        for q in rows:
            if q["qid"] not in seen:
                seen.add(q["qid"])
                self.questions.append(q)
        self.group_names: dict[str, dict[str, str]] = defaultdict(dict)
        groups: dict[str, Row] = {}
        for g in table(r, "groups") + table(r, "group_l10ns"):
            if "group_name" in g and g.get("language"):
                self.group_names[g["gid"]][g["language"]] = g["group_name"]
            if "sid" in g and "id" not in g:
                groups.setdefault(g["gid"], g)
        self.groups = sorted(groups.values(), key=lambda g: _int(g.get("group_order")))
        self.answers: dict[str, list[tuple[str, dict[str, str]]]] = defaultdict(list)
        answer_texts: dict[str, dict[str, str]] = defaultdict(dict)
        for a in table(r, "answer_l10ns"):
            answer_texts[a["aid"]][a.get("language", "")] = a.get("answer", "")
        ordered = sorted(table(r, "answers"), key=lambda a: _int(a.get("sortorder")))
        index: dict[tuple[str, str, str], dict[str, str]] = {}
        for a in ordered:
            if a.get("scale_id", "0") not in ("", "0"):
                continue
            key = (a["qid"], a["code"], a.get("scale_id", "0"))
            if key not in index:
                index[key] = {}
                self.answers[a["qid"]].append((a["code"], index[key]))
            if "aid" in a:
                index[key].update(answer_texts.get(a["aid"], {}))
            elif a.get("language"):
                index[key][a["language"]] = a.get("answer", "")
        self.attributes: dict[str, dict[str, str]] = defaultdict(dict)
        for a in table(r, "question_attributes"):
            self.attributes[a.get("qid", "")][a.get("attribute", "")] = a.get("value", "")
        self.settings = {
            s.get("surveyls_language", ""): s for s in table(r, "surveys_languagesettings")
        }

    def text(self, by_language: dict[str, str], fallback: str) -> Translatable:
        texts = {lang: plain(t) for lang, t in by_language.items() if plain(t)}
        texts = {lang: t for lang, t in texts.items() if lang in self.languages}
        if self.language not in texts:
            return fallback
        return texts if len(texts) > 1 else texts[self.language]

    def question_text(self, qid: str, fallback: str) -> Translatable:
        return self.text({k: v[0] for k, v in self.texts.get(qid, {}).items()}, fallback)

    def report(self, source: str, feature: str, what_happens: str) -> None:
        self.unsupported.append(Unsupported(source, feature, what_happens))

    # -- building --------------------------------------------------------------------------

    def build(self) -> None:
        by_parent: dict[str, list[Row]] = defaultdict(list)
        tops: dict[str, list[Row]] = defaultdict(list)
        for q in self.questions:
            if q.get("parent_qid", "0") not in ("", "0"):
                by_parent[q["parent_qid"]].append(q)
            else:
                tops[q["gid"]].append(q)
        for subs in by_parent.values():
            subs.sort(key=lambda q: _int(q.get("question_order")))
        known = {g["gid"] for g in self.groups}
        for gid in tops:
            if gid not in known:
                self.groups.append({"gid": gid, "group_order": "999"})
        for g in self.groups:
            gid = g["gid"]
            made: list[_Made] = []
            for q in sorted(tops.get(gid, []), key=lambda q: _int(q.get("question_order"))):
                subs = by_parent.get(q["qid"], [])
                for m in self.question(q, [s for s in subs if s.get("scale_id", "0") in "0"]):
                    own = _both(q.get("relevance", ""), m.sub_relevance)
                    m.relevance = _both(g.get("grelevance", ""), own)
                    made.append(m)
                if (
                    any(s.get("scale_id", "0") not in ("", "0") for s in subs)
                    and q["type"] not in NOT_IMPORTED
                ):
                    self.report(q["title"], "second scale of subquestions", "not imported")
                if q.get("mandatory") == "Y":
                    self.required += 1
            name = self.group_names.get(gid, {})
            if not made:
                label = name.get(self.language) or f"group {gid}"
                self.report(label, "group without importable questions", "the group is dropped")
                continue
            page: dict[str, Any] = {"id": self.ids.make(f"page {name.get(self.language, gid)}")}
            title = self.text(name, "")
            if title:
                page["title"] = title
            self.made.append((page["id"], made))
            self.pages_data.append(page)

    def question(self, q: Row, subs: list[Row]) -> list[_Made]:
        kind, code, qid = q["type"], q["title"], q["qid"]
        text = self.question_text(qid, code)
        base: dict[str, Any] = {"text": text}
        helps = {k: v[1] for k, v in self.texts.get(qid, {}).items()}
        help_text = self.text(helps, "")
        if help_text:
            base["help"] = help_text
        sgqa = f"{self.sid}X{q['gid']}X{qid}"
        written = " ".join(v[0] for v in self.texts.get(qid, {}).values())
        if PLACEHOLDER.search(written):
            self.report(
                code,
                "expressions in the question text",
                "shown as written (such as {if(...)} or {Q1}): Rapport fills only {org}",
            )
        if kind in NOT_IMPORTED:
            self.report(
                code,
                f"{NOT_IMPORTED[kind]} question (type {kind})",
                "no Rapport type: the question and its answers are not imported",
            )
            return []
        if self.attributes.get(qid, {}).get("hidden") == "1" and kind not in NOT_IMPORTED:
            self.report(
                code,
                "hidden question",
                "imported as a visible question (its earlier answers are kept); remove or "
                "hide it in Rapport before inviting new respondents",
            )
        if kind == "X":
            if text == code:
                self.report(code, "empty text display", "dropped")
                return []
            return [self.make(code, {"type": "display", "text": text}, kind, None, sgqa)]
        numbers_only = self.attributes.get(qid, {}).get("numbers_only") == "1"
        if kind in FREE_TEXT and not (kind == "S" and numbers_only):
            return [self.make(code, {**base, "type": "text"}, kind, None, sgqa)]
        if kind == "N" or (kind == "S" and numbers_only):  # a short text of numbers only
            return [self.make(code, {**base, "type": "number"}, kind, None, sgqa)]
        if kind == "D":
            return [self.make(code, {**base, "type": "date"}, kind, None, sgqa)]
        if kind == "5":
            data = {**base, "type": "likert", "scale": {"points": 5}}
            return [self.make(code, data, kind, None, sgqa)]
        if kind in FIXED and kind in "YG":
            m = self.make(code, {**base, **self.fixed(kind)}, kind, None, sgqa)
            m.values = _fixed_values(kind)
            return [m]
        if kind in LISTS:
            return [self.single(q, base, sgqa)]
        if kind in "MP":
            return [self.multi(q, base, subs, sgqa)]
        if kind == "A":
            return [self.likert_matrix(q, text, subs, sgqa)]
        if kind in PER_ROW or kind in "KQ":
            return self.per_row(q, text, subs, sgqa)
        self.report(code, f"question type {kind!r}", "unknown to the importer; not imported")
        return []

    def make(self, code: str, data: dict[str, Any], kind: str, sub: str | None, sgqa: str) -> _Made:
        source = f"{code}[{sub}]" if sub else code
        data = {"id": self.ids.make(f"{code}_{sub}" if sub else code), **data}
        self.mapping.append(MappingRow(source, data["id"], data["type"], ()))
        made = _Made(data, source, kind)
        read = {"N": "number", "K": "number", "B": "number", "D": "date", "X": "none"}.get(
            kind, "text" if kind in FREE_TEXT or kind == "Q" else "choice"
        )
        if kind == "5":
            read = "integer"
        elif data["type"] == "number":
            read = "number"
        self.register(code, sub, sgqa, Column(data["id"], read, made.values))
        self.by_code[source if sub is None else f"{code}_{sub}"] = made
        return made

    def register(self, code: str, sub: str | None, sgqa: str, column: Column) -> None:
        names = [f"{code}[{sub}]", f"{code}_{sub}", f"{sgqa}{sub}"] if sub else [code, sgqa]
        for name in names:
            self.columns.setdefault(name, column)

    def fixed(self, kind: str) -> dict[str, Any]:
        return {
            "type": "single_choice",
            "options": [{"id": oid, "text": label} for oid, label, _ in FIXED[kind]],
        }

    def options_of(self, q: Row) -> tuple[list[dict[str, Any]], dict[str, str]]:
        option_ids = IdMaker("option")
        options, values = [], {}
        for code, texts in self.answers.get(q["qid"], []):
            oid = option_ids.make(code)
            options.append({"id": oid, "text": self.text(texts, code)})
            values[code] = oid
            for t in texts.values():
                values.setdefault(plain(t), oid)
        return options, values

    def other(self, q: Row, options: list[dict[str, Any]], values: dict[str, str]) -> None:
        if q.get("other") != "Y":
            return
        options.append({"id": "other", "text": "Other"})
        values.update({"-oth-": "other", "Other": "other"})
        self.report(
            q["title"],
            "other option with a text",
            "the choice 'other' is imported; the text written beside it is not",
        )

    def single(self, q: Row, base: dict[str, Any], sgqa: str) -> _Made:
        options, values = self.options_of(q)
        self.other(q, options, values)
        if q["type"] == "O":
            self.report(q["title"], "comment beside a list", "the comment text is not imported")
        m = self.make(
            q["title"], {**base, "type": "single_choice", "options": options}, "L", None, sgqa
        )
        m.values.update(values)
        return m

    def multi(self, q: Row, base: dict[str, Any], subs: list[Row], sgqa: str) -> _Made:
        code = q["title"]
        option_ids = IdMaker("option")
        options, values = [], {}
        for s in subs:
            if not is_always(s.get("relevance", "")):
                self.report(
                    f"{code}[{s['title']}]",
                    f"choice relevance {s['relevance'].strip()}",
                    "not imported: the choice is always offered",
                )
            oid = option_ids.make(s["title"])
            options.append({"id": oid, "text": self.question_text(s["qid"], s["title"])})
            values[s["title"]] = oid
            self.ticks[f"{code}_{s['title']}"] = (code, s["title"])
        self.other(q, options, values)
        if q["type"] == "P":
            self.report(code, "comment beside each choice", "the comment texts are not imported")
        data = {**base, "type": "multi_choice", "options": options}
        data = {"id": self.ids.make(code), **data}
        self.mapping.append(MappingRow(code, data["id"], "multi_choice", ()))
        m = _Made(data, code, "M", values)
        self.by_code[code] = m
        order = {str(o["id"]): i for i, o in enumerate(options)}
        for sub, oid in values.items():
            if sub in ("-oth-", "Other"):
                continue
            self.register(code, sub, sgqa, Column(data["id"], "tick", option=oid, order=order))
        if "other" in order:  # the text written beside "other" ticks it
            tick = Column(data["id"], "tick", option="other", order=order)
            self.register(code, "other", sgqa, tick)
        return m

    def likert_matrix(self, q: Row, text: Translatable, subs: list[Row], sgqa: str) -> _Made:
        code = q["title"]
        qid = self.ids.make(code)
        row_ids = IdMaker("row")
        rows = []
        for s in subs:
            rid = row_ids.make(s["title"])
            rows.append({"id": rid, "text": self.question_text(s["qid"], s["title"])})
            self.mapping.append(MappingRow(f"{code}[{s['title']}]", f"{qid}.{rid}", "matrix"))
            self.register(code, s["title"], sgqa, Column(qid, "integer", {}, row=rid))
        data = {"id": qid, "type": "matrix", "text": text, "scale": {"points": 5}, "rows": rows}
        m = _Made(data, code, "A")
        self.by_code[code] = m
        return m

    def per_row(self, q: Row, text: Translatable, subs: list[Row], sgqa: str) -> list[_Made]:
        kind, code = q["type"], q["title"]
        out = []
        if kind in "FH":
            options, values = self.options_of(q)
            if kind == "H":
                self.report(code, "array by column", "imported as one question per subquestion")
        for s in subs:
            row_text = self.question_text(s["qid"], s["title"])
            data: dict[str, Any] = {"text": joined(text, row_text)}
            if kind in "FH":
                data.update({"type": "single_choice", "options": options})
            elif kind in FIXED:
                data.update(self.fixed(kind))
            elif kind == "B":
                data.update({"type": "number", "integer": True, "min": 1, "max": 10})
            elif kind == "K":
                data["type"] = "number"
            else:
                data["type"] = "text"
            m = self.make(code, data, kind, s["title"], sgqa)
            m.sub_relevance = s.get("relevance", "")
            if kind in "FH":
                m.values.update(values)
            elif kind in FIXED:
                m.values.update(_fixed_values(kind))
            out.append(m)
        return out

    # -- relevance -------------------------------------------------------------------------

    def conditions(self) -> None:
        seen: dict[str, _Made] = {}
        for _, made in self.made:
            for m in made:
                if not is_always(m.relevance):
                    try:
                        cond = self.condition(m.relevance, seen)
                        m.data["show_if"] = condition_to_dict(cond)
                    except NotExpressible as why:
                        self.report(
                            m.code,
                            f"relevance {m.relevance.strip()}",
                            f"not imported ({why}); the question is always shown",
                        )
                key = m.code.replace("[", "_").rstrip("]")
                seen[key] = m
                seen.setdefault(m.code.split("[")[0], m)

    def condition(self, equation: str, seen: dict[str, _Made]) -> Condition:
        def question_id(name: str) -> str:
            if name not in seen or seen[name].data["type"] in ("display", "matrix"):
                raise NotExpressible(f"{name} is not an earlier imported question")
            return str(seen[name].data["id"])

        def resolve(name: str, value: object) -> Any:
            m = seen[name]
            if m.data["type"] in ("single_choice", "multi_choice"):
                if choice_key(value) not in m.values:
                    raise NotExpressible(f"{value!r} is not an answer code of {name}")
                return m.values[choice_key(value)]
            return value

        def multi(name: str) -> bool:
            return bool(seen[name].data["type"] == "multi_choice")

        found = parse_relevance(equation, self.ticks, question_id, resolve, multi)
        by_id = {str(m.data["id"]): str(m.data["type"]) for m in seen.values()}
        _check_ops(found, by_id)
        return found

    # -- the rest of the survey ------------------------------------------------------------

    def survey_features(self) -> None:
        attributes = table(self.root, "question_attributes")
        names = sorted({a.get("attribute", "") for a in attributes if a.get("value")})
        if names:
            self.report(
                "questions",
                f"{len(attributes)} question attribute(s)",
                "display and validation settings are not imported: " + ", ".join(names),
            )
        conditions = table(self.root, "conditions")
        if conditions:
            self.report(
                "survey",
                f"{len(conditions)} old-style condition(s)",
                "not imported as such: each question's relevance equation is used",
            )
        for name, what in (
            ("quota", "quotas are not imported"),
            ("assessments", "assessments are not imported: Rapport does not score"),
            ("defaultvalues", "default answers are not imported: questions start empty"),
        ):
            if table(self.root, name):
                self.report("survey", name, what)
        if self.required:
            self.warnings.append(
                f"{self.required} mandatory question(s) are imported as optional, so earlier "
                "responses without an answer can be imported; mark them required in Rapport "
                "for new responses"
            )


def read_limesurvey(definition: bytes, responses: bytes | None, options: ReadOptions) -> ImportPlan:
    """Read a LimeSurvey ``.lss`` (or ``.lsa`` archive) and optionally a response export
    (CSV or VV with question-code headings, or an ``.lsr``) into a plan."""
    if definition[:4] == b"PK\x03\x04":
        definition, archived = unpack_archive(definition)
        if responses is None:
            responses = archived
    root = parse_document(definition, "definition")
    doc_type = root.findtext("LimeSurveyDocType", "")
    if doc_type != "Survey":
        raise not_limesurvey("definition", f"expected a Survey document, got {doc_type!r}")
    s = _Survey(root, options)
    s.build()
    s.conditions()
    s.survey_features()
    base = s.settings.get(s.language, {})
    title = s.text(
        {lang: st.get("surveyls_title", "") for lang, st in s.settings.items()},
        options.source_name,
    )
    data: dict[str, Any] = {
        "key": options.survey_key or survey_key(base.get("surveyls_title") or options.source_name),
        "title": title,
        "audience": options.audience,
        "default_language": s.language,
        "languages": s.languages,
        "pages": [
            {**page, "questions": [m.data for m in made]}
            for page, (_, made) in zip(s.pages_data, s.made, strict=True)
        ],
    }
    for key, source in (("description", "surveyls_description"), ("thank_you", "surveyls_endtext")):
        found = s.text({lang: st.get(source, "") for lang, st in s.settings.items()}, "")
        if found:
            data[key] = found
    if plain(base.get("surveyls_welcometext", "")):
        s.report("survey", "welcome text", "not imported: Rapport shows its own start")
    built = build_definition(data, "the LimeSurvey survey")
    plan = ImportPlan("limesurvey", built, s.mapping, [], s.unsupported, s.warnings)
    if responses is not None:
        plan.responses = read_responses(
            responses, s.columns, s.report, s.warnings, options.timezone
        )
    return plan


def _check_ops(condition: Condition, types: dict[str, str]) -> None:
    """NotExpressible when a comparison does not fit its question's Rapport type (an order
    on a text, a word compared with a number)."""
    if isinstance(condition, AllOf | AnyOf):
        for part in condition.conditions:
            _check_ops(part, types)
        return
    if isinstance(condition, Not):
        _check_ops(condition.condition, types)
        return
    if condition.op in PRESENCE_OPS:
        return
    kind = types.get(condition.question, "")
    numeric = kind in NUMERIC_TYPES
    if condition.op in ORDERING_OPS and not numeric and kind != "date":
        raise NotExpressible(f"'{condition.op}' on a {kind} question")
    values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
    if numeric and not all(isinstance(v, int | float) for v in values):
        raise NotExpressible(f"a {kind} question compared with text")


def _fixed_values(kind: str) -> dict[str, str]:
    return {code: oid for oid, _, codes in FIXED[kind] for code in codes}


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _both(first: str, second: str) -> str:
    parts = [p.strip() for p in (first, second) if not is_always(p)]
    if len(parts) == 2:
        return f"({parts[0]}) and ({parts[1]})"
    return parts[0] if parts else ""
