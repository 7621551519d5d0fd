"""The docstring examples of the text layer are run, so they cannot drift from the code."""

import doctest
import importlib

import pytest

MODULES = [
    "rapport.text",
    "rapport.text._labels",
    "rapport.text._lexicon",
    "rapport.text._keyword",
    "rapport.text._model",
    "rapport.text._prediction",
    "rapport.text.goemotions",
    "rapport.text.language",
    "rapport.text.pii",
    "rapport.text.themes",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
