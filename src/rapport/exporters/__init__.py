"""Rapport exporters layer."""
