"""Rapport api layer."""
