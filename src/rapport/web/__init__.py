"""Rapport web layer."""
