"""Rapport domain layer."""
