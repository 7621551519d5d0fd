"""Jinja2 environment for server-rendered pages."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from importlib.resources import files
from numbers import Number
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from rapport._version import __version__
from rapport.services import comment_themes
from rapport.web.csrf import csrf_token
from rapport.web.flash import pop_flashes


def format_number(value: float, digits: int = 0) -> str:
    """Round for display without a "-0": format_number(-0.3) == "0"."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def digits(estimate: Any) -> int:
    """Decimals to show an estimate with: one where its interval would round to a point
    (``60 [60, 60]`` reads as certainty), none otherwise.

    >>> from types import SimpleNamespace as E
    >>> digits(E(value=60.2, lower=59.6, upper=60.4)), digits(E(value=60, lower=52, upper=68))
    (1, 0)
    """
    lower, upper = getattr(estimate, "lower", None), getattr(estimate, "upper", None)
    if lower is None or upper is None:
        return 0
    return 1 if format_number(lower) == format_number(upper) else 0


def records(frame: Any) -> list[Any]:
    """A data frame's rows as named tuples, as ``frame.itertuples(index=False)`` gives them,
    read a column at a time: pandas 3 iterates its Arrow-backed strings one element at a
    time (the 10,560 rows of the map's table at 400 units: 0.06–0.10 s, 0.02 s this way).

    >>> import pandas as pd
    >>> records(pd.DataFrame({"unit": ["a"], "n": [7]}))
    [Row(unit='a', n=7)]
    """
    columns = [str(c) for c in frame.columns]
    row = namedtuple("Row", columns, rename=True)  # type: ignore[misc]
    return list(map(row._make, zip(*(frame[c].tolist() for c in frame.columns), strict=True)))


def table_rows(frame: Any) -> Markup:
    """A data frame's rows as HTML table rows, each cell as a data table shows it: a date
    as YYYY-MM-DD, a float with one decimal, an integer as is, a missing value as "–".
    Written in Python, not as a template loop: a dashboard's tables at 400 units have
    thousands of cells, and the loop's per-cell tests were most of the page's drawing.

    >>> import pandas as pd
    >>> print(table_rows(pd.DataFrame({"unit": ["a<b"], "nps": [12.345], "n": [7]})))
    <tr><td>a&lt;b</td><td>12.3</td><td>7</td></tr>
    """
    return Markup(  # noqa: S704 - every cell's text goes through escape()
        "".join(
            "<tr>" + "".join(f"<td>{escape(_cell(c))}</td>" for c in row) + "</tr>"
            for row in records(frame)
        )
    )


def _cell(c: Any) -> Any:
    if hasattr(c, "strftime") and c == c:
        return c.strftime("%Y-%m-%d")
    if isinstance(c, Number) and c == c:
        return format_number(c, 1) if isinstance(c, float) else c
    if c is None or c != c:
        return "–"
    return c


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(files("rapport.web") / "templates"))
    templates.env.globals["rapport_version"] = __version__
    templates.env.globals["csrf_token"] = csrf_token
    templates.env.globals["flashes"] = pop_flashes
    templates.env.globals["themes_refound"] = (
        f"once the comments grow by {comment_themes.REFIND_SHARE:.0%} "
        f"or after {comment_themes.REFIND_AFTER.total_seconds() / 3600:g} h"
    )
    templates.env.filters["num"] = format_number
    templates.env.filters["digits"] = digits
    templates.env.filters["table_rows"] = table_rows
    return templates


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    ctx = {"principal": getattr(request.state, "principal", None)}
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


PARTS_MARK = Markup("<!--rapport:parts-->")
"""Where :func:`render_with` puts a page's kept parts (``{{ parts }}`` in its template)."""


def render_with(
    request: Request,
    name: str,
    context: dict[str, Any],
    parts: tuple[bytes, ...],
    status_code: int = 200,
) -> HTMLResponse:
    """:func:`render` of a page with ``parts`` (kept UTF-8 HTML, trusted) where the template
    writes ``{{ parts }}``: sent as they are kept, not copied into the template's text,
    escaped and encoded again on every request (the map's 6 MB at 400 units)."""
    response = render(request, name, {**context, "parts": PARTS_MARK}, status_code)
    head, found, tail = bytes(response.body).partition(PARTS_MARK.encode())
    if not found:
        raise RuntimeError(f"internal error: {name} has no place for its parts")
    response.body = b"".join((head, *parts, tail))
    response.headers["content-length"] = str(len(response.body))
    return response


def render_error(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "detail": detail},
        status_code=status,
    )


def page_error_renderer(templates: Jinja2Templates) -> Callable[[int, str, str], str]:
    """The error page without a request, for the edge middlewares that answer before
    routing (body limits, NUL guard): no session, so no navigation or CSRF token."""
    template = templates.get_template("error.html")

    def page(status: int, title: str, detail: str) -> str:
        return template.render(status=status, title=title, detail=detail, principal=None)

    return page
