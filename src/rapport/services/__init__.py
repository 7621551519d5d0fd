"""Rapport services layer."""
