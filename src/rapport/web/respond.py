"""The respondent form: ``/s/{token}``, one page per survey page, works without JavaScript.

Display logic is applied here on the server (authoritative) and mirrored in the browser by
``static/respond.js`` when JavaScript is on. Partial answers are kept with the invitation
(resume from the same link) or, for public links, in the signed session cookie.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict, deque
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from rapport.api.deps import DbDep, SettingsDep
from rapport.domain.answers import (
    AnswerCode,
    AnswerError,
    answers_from_form,
    drop_hidden_answers,
    normalise_answers,
    validate_answers,
)
from rapport.domain.logic import is_visible
from rapport.domain.survey import (
    EMOTION_LABELS,
    INTENSITY_LABELS,
    Page,
    Question,
    QuestionType,
    SurveyDefinition,
    condition_to_dict,
    fill_placeholders,
    pick_language,
    text_for,
)
from rapport.errors import Gone, Throttled
from rapport.services import invitations
from rapport.services.invitations import LinkContext
from rapport.web.csrf import verify_csrf
from rapport.web.respond_errors import plain_error
from rapport.web.respond_text import LANGUAGE_NAMES, ui
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
PREFIX = "q."


class SubmitLimiter:
    """Sliding-window limit on public submissions per client address (per process)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.hits: dict[str, deque[float]] = defaultdict(deque)

    def check(self, client: str) -> None:
        now = time.monotonic()
        q = self.hits[client]
        while q and now - q[0] > 60:
            q.popleft()
        if len(q) >= self.per_minute:
            raise Throttled("Too many submissions from your address; wait a minute.")
        q.append(now)


def _limiter(request: Request) -> SubmitLimiter:
    state = request.app.state
    if not hasattr(state, "submit_limiter"):
        state.submit_limiter = SubmitLimiter(state.settings.public_submit_per_minute)
    limiter: SubmitLimiter = state.submit_limiter
    return limiter


def _visible_pages(defn: SurveyDefinition, answers: dict[str, Any]) -> list[Page]:
    return [p for p in defn.pages if any(is_visible(q, answers) for q in p.questions)]


def _language(request: Request, ctx: LinkContext, lang: str | None) -> str:
    defn = ctx.published.definition
    preferred = [x for x in (lang, request.session.get("lang")) if x]
    if ctx.person is not None:
        preferred.append(ctx.person.attributes.get("language", ""))
    header = request.headers.get("accept-language", "")
    preferred += [part.split(";")[0].strip()[:2] for part in header.split(",") if part]
    chosen = pick_language(defn.languages, preferred, defn.default_language)
    request.session["lang"] = chosen
    return chosen


def _partial(request: Request, ctx: LinkContext) -> tuple[dict[str, Any], str | None]:
    """The answers kept so far and the id of the page the respondent was last on."""
    if ctx.kind == "public":
        stored = request.session.get(f"partial:{ctx.token}")
        page = request.session.get(f"page:{ctx.token}")
        answers = dict(stored) if isinstance(stored, dict) else {}
        return answers, page if isinstance(page, str) else None
    return dict(ctx.partial), ctx.partial_page


def _keep_partial(
    request: Request, ctx: LinkContext, answers: dict[str, Any], page: str, uow: Any
) -> None:
    """Keep the answers and the page to reopen: invitations in the database, anonymous
    links in the signed session cookie (there is no one to key a row to)."""
    if ctx.kind == "public":
        request.session[f"partial:{ctx.token}"] = answers
        request.session[f"page:{ctx.token}"] = page
    else:
        invitations.save_partial(uow, ctx, answers, page=page)


def _page_index(pages: list[Page], page_id: str | None) -> int:
    return next((i for i, p in enumerate(pages) if p.id == page_id), 0)


def _raw_from_form(
    defn: SurveyDefinition, page: Page, form: FormData
) -> tuple[dict[str, Any], list[AnswerError]]:
    """Form fields of one page (named ``q.<id>`` or ``q.<id>.<item>``) → raw answers.

    An emotion counts only while its chip (``felt.<id>``) is on: the intensity of a chip
    turned off again stays checked, hidden, in the form. A chip without an intensity is
    an error of its own.
    """
    on_page = {q.id for q in page.questions}
    felt = {
        q.id: set(map(str, form.getlist(f"felt.{q.id}")))
        for q in page.questions
        if q.type is QuestionType.EMOTION_PICKER
    }
    pairs = []
    for name, value in form.multi_items():
        if not name.startswith(PREFIX) or not isinstance(value, str):
            continue
        qid, _, item = name[len(PREFIX) :].partition(".")
        if qid in on_page and (qid not in felt or item in felt[qid]):
            pairs.append((name[len(PREFIX) :], value))
    raw = answers_from_form(defn, pairs)
    intensities = {qid: value for qid, value in raw.items() if isinstance(value, dict)}
    missing = [
        AnswerError(qid, AnswerCode.REQUIRED, f"{qid}.{emotion}: choose an intensity", emotion)
        for qid, chosen in felt.items()
        for emotion in sorted(chosen)
        if not intensities.get(qid, {}).get(emotion)
    ]
    return raw, missing


def _error_list(
    defn: SurveyDefinition, errors: list[AnswerError], lang: str, t: Any
) -> list[dict[str, str]]:
    """Errors as the page shows them: the question's words and a plain-language text."""
    questions = defn.questions_by_id()
    shown = []
    for e in errors:
        q = questions.get(e.question_id)
        if q is not None:
            message = plain_error(q, e, lang, t)
            anchor = _input_id(q, e.item)
            shown.append({"qid": q.id, "anchor": anchor, "question": t(q.text), "message": message})
    return shown


def _input_id(q: Question, item: str | None) -> str:
    """The id of the first input of a question, or of its matrix row or emotion's
    intensities (as ``question_macros.html`` numbers them), for the error summary."""
    if q.type is QuestionType.EMOTION_PICKER and item in q.emotions:
        chip = f"q-{q.id}" if item == q.emotions[0] else f"q-{q.id}-{item}"
        return f"{chip}-1"
    if q.type is QuestionType.MATRIX and q.scale is not None and item in q.row_ids:
        return f"q-{q.id}" if item == q.row_ids[0] else f"q-{q.id}-{item}-{q.scale.min}"
    return f"q-{q.id}"


def _page_context(
    request: Request,
    ctx: LinkContext,
    lang: str,
    answers: dict[str, Any],
    index: int,
    errors: list[AnswerError] | None = None,
) -> dict[str, Any]:
    defn = ctx.published.definition
    pages = _visible_pages(defn, answers)
    index = max(0, min(index, len(pages) - 1))
    page = pages[index]
    words = ui(lang)

    def t(value: Any) -> str:
        if value is None:
            return ""
        return fill_placeholders(
            text_for(value, lang, defn.default_language), {"org": ctx.org_name}
        )

    shown_errors = _error_list(defn, errors or [], lang, t)
    questions = [
        {
            "q": q,
            "visible": is_visible(q, answers),
            "value": answers.get(q.id),
            "show_if": json.dumps(condition_to_dict(q.show_if)) if q.show_if else "",
        }
        for q in page.questions
    ]
    return {
        "ctx": ctx,
        "defn": defn,
        "lang": lang,
        "t": t,
        "ui": words,
        "page": page,
        "page_index": index,
        "page_count": len(pages),
        "questions": questions,
        "errors": shown_errors,
        # The first problem of each question is the one shown beside it.
        "error_map": {e["qid"]: e["message"] for e in reversed(shown_errors)},
        "languages": [(code, LANGUAGE_NAMES.get(code, code)) for code in defn.languages],
        # Emotion chips turned on without a usable intensity stay on when the page returns.
        "chips_on": {(e.question_id, e.item) for e in errors or [] if e.item},
        "emotion_labels": EMOTION_LABELS,
        "intensity_labels": INTENSITY_LABELS,
        "QT": QuestionType,
        "title": t(defn.title),
        "shown": ",".join(q.id for q in page.questions if is_visible(q, answers)),
        # Answers from other pages, for client-side display logic; "<" escaped for <script>.
        "known_json": json.dumps(
            {k: v for k, v in answers.items() if k not in {q.id for q in page.questions}}
        ).replace("<", "\\u003c"),
    }


@router.get("/s/{token}", response_class=HTMLResponse)
def respond_form(
    request: Request, token: str, db: DbDep, page: int | None = None, lang: str | None = None
) -> Response:
    """The page asked for, or else the one the respondent was last on (resume)."""
    try:
        with db.unit_of_work() as uow:
            ctx = invitations.resolve(uow, token)
    except Gone as exc:
        return render(
            request,
            "respond_done.html",
            {"title": "Rapport", "heading": exc.title, "body": exc.detail, "lang": lang or "en"},
            status_code=410,
        )
    language = _language(request, ctx, lang)
    answers, last_page = _partial(request, ctx)
    if page is None:
        page = _page_index(_visible_pages(ctx.published.definition, answers), last_page)
    return render(request, "respond.html", _page_context(request, ctx, language, answers, page))


@router.post("/s/{token}", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
async def respond_submit(
    request: Request, token: str, db: DbDep, settings: SettingsDep
) -> Response:
    form = await request.form()
    action = str(form.get("action", "next"))
    index = int(str(form.get("page", "0")) or 0)
    shown_before = set(filter(None, str(form.get("shown", "")).split(",")))
    try:
        with db.unit_of_work() as uow:
            ctx = invitations.resolve(uow, token)
            lang = _language(request, ctx, str(form.get("lang") or "") or None)
            defn = ctx.published.definition
            answers, _ = _partial(request, ctx)
            pages = _visible_pages(defn, answers)
            index = max(0, min(index, len(pages) - 1))
            page = pages[index]
            for q in page.questions:
                answers.pop(q.id, None)
            raw, errors = _raw_from_form(defn, page, form)
            typed, parse_errors = normalise_answers(defn, raw)
            answers.update(typed)
            answers = drop_hidden_answers(defn, answers)
            page_ids = {q.id for q in page.questions if is_visible(q, answers)}
            errors = parse_errors + [e for e in errors if e.question_id in page_ids]
            failed = {e.question_id for e in errors}
            errors += [
                e
                for e in validate_answers(defn, answers)
                if e.question_id in page_ids and e.question_id not in failed
            ]
            order = {q.id: i for i, q in enumerate(page.questions)}
            errors.sort(key=lambda e: order.get(e.question_id, len(order)))
            pages = _visible_pages(defn, answers)
            index = next(
                (i for i, p in enumerate(pages) if p.id == page.id), min(index, len(pages) - 1)
            )
            if action == "back":
                target = max(index - 1, 0)
            elif errors or page_ids - shown_before:
                target = index
            else:
                target = min(index + 1, len(pages) - 1)
            _keep_partial(request, ctx, answers, pages[target].id, uow)
            if action == "back":
                return RedirectResponse(f"/s/{token}?page={target}&lang={lang}", 303)
            # Re-show the page when answers revealed questions the respondent has not seen
            # (same-page display logic without JavaScript) or when something is wrong.
            if errors or page_ids - shown_before:
                ctx_page = _page_context(request, ctx, lang, answers, index, errors)
                return render(request, "respond.html", ctx_page, status_code=422 if errors else 200)
            if index + 1 < len(pages):
                return RedirectResponse(f"/s/{token}?page={index + 1}&lang={lang}", 303)
            if ctx.kind == "public":
                client = request.client.host if request.client else "unknown"
                _limiter(request).check(client)
            invitations.complete(
                uow, ctx, answers, language=lang, keep_original=settings.keep_original_comments
            )
            request.session.pop(f"partial:{ctx.token}", None)
            request.session.pop(f"page:{ctx.token}", None)
    except Gone as exc:
        return render(
            request,
            "respond_done.html",
            {"title": "Rapport", "heading": exc.title, "body": exc.detail, "lang": "en"},
            status_code=410,
        )
    words = ui(lang)
    thanks = text_for(defn.thank_you, lang, defn.default_language) if defn.thank_you else ""
    thanks = fill_placeholders(thanks, {"org": ctx.org_name})
    return render(
        request,
        "respond_done.html",
        {
            "title": words["thanks"],
            "heading": words["thanks"],
            "body": thanks or words["thanks_body"],
            "lang": lang,
        },
    )
