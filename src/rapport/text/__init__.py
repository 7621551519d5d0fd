"""Rapport text layer."""
