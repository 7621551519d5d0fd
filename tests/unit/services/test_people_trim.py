"""The people import's trimming shortcut equals ``str.strip`` on every cell."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rapport.services.people import ASCII_SPACES, OTHER_SPACES, _trimmed

CELL = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_characters="\x00"), st.sampled_from(ASCII_SPACES + OTHER_SPACES)
    ),
    max_size=8,
)


def test_the_space_lists_are_every_character_strip_removes() -> None:
    every = {chr(i) for i in range(0x110000) if chr(i).isspace()}
    assert set(ASCII_SPACES + OTHER_SPACES) == every


@given(st.lists(CELL, max_size=12))
def test_trimmed_equals_strip_on_each_cell(cells: list[str]) -> None:
    assert _trimmed(cells) == [c.strip() for c in cells]
