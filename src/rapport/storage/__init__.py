"""Rapport storage layer."""
