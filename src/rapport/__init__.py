"""Rapport: customer and employee experience management in one place.

The package does no work at import time. Build the web application with
:func:`rapport.app.create_app`, read settings with :func:`rapport.settings.get_settings`, and,
as an analyst, open the metrics engine with ``rapport.connect(url)``::

    import rapport
    client = rapport.connect("sqlite:///var/rapport.db")
    client.metrics("customer-relationship", metric="hearts", by=["unit"], period="quarter")
"""

from __future__ import annotations

from typing import Any

from rapport._version import __version__

__all__ = ["__version__", "connect"]


def __getattr__(name: str) -> Any:
    # Lazy, so `import rapport` stays cheap (no pandas, no SQLAlchemy) until asked.
    if name == "connect":
        from rapport.client import connect

        return connect
    raise AttributeError(f"module 'rapport' has no attribute {name!r}")
