"""Every docstring example in the package is run, so none can drift from the code."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import rapport

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(rapport.__path__, prefix="rapport.")
    if ".migrations." not in info.name and not info.name.endswith("__main__")
)


def test_the_walk_finds_the_package() -> None:
    assert {"rapport.domain.survey.rows", "rapport.text.pii", "rapport.services.bulk"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags)
    assert result.failed == 0
