"""Rapport analytics layer."""
