"""Rapport importers layer."""
