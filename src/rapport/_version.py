"""The installed version of Rapport."""

__version__ = "0.1.0.dev0"
