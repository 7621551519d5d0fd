"""Rapport: customer and employee experience management in one place.

The package does no work at import time. Build the web application with
:func:`rapport.app.create_app` and read settings with :func:`rapport.settings.get_settings`.
"""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
