"""The ``rapport`` command line (Typer + Rich)."""

from rapport.cli.main import main

__all__ = ["main"]
