"""``templating.render_latin1`` encodes a page as it is generated, a batch of pieces at a
time: the same text as rendering it whole and encoding that (the oracle), whatever the
batches' edges cut through — empty pieces, characters beyond Latin-1, markup."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment

from rapport.web import templating
from rapport.web.templating import render_latin1

ENV = Environment(autoescape=True)
# Empty output between the cells ({{ "" }}, a false condition), text beyond Latin-1 (the en
# dash, the minus sign, emoji), text that autoescaping changes.
PAGE = ENV.from_string(
    "{% for c in cells %}<td>{{ '' }}{% if c %}{{ c }}{% endif %}–{{ '−' if loop.index is odd }}"
    "</td>{% endfor %}"
)


def _whole(cells: list[str]) -> str:
    return PAGE.render(cells=cells).encode("latin-1", "xmlcharrefreplace").decode("latin-1")


@given(st.lists(st.text(max_size=6), max_size=60), st.integers(min_value=1, max_value=9))
def test_the_page_is_the_text_rendered_whole_and_encoded(cells: list[str], chunks: int) -> None:
    # Batches of a few pieces: their edges fall everywhere.
    found = render_latin1(PAGE, {"cells": cells}, chunks)
    assert found == _whole(cells)
    assert max(map(ord, found), default=0) < 256


def test_a_page_of_many_batches_and_empty_ones() -> None:
    # Several batches of pieces, empty ones all through them.
    cells = ["a<b", *[""] * (3 * templating.CHUNKS), "😀 x", "ÿ"]
    assert render_latin1(PAGE, {"cells": cells}) == _whole(cells)
