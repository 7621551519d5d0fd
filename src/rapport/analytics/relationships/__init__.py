"""Relationship health: decline alarms, relationship stages and consistency across units.

Pure analytics over a frame of signals per unit × period (hearts, minds, NPS with their
intervals and n, as the metrics engine produces them; :mod:`.signals` documents the
columns). No storage, no services: later layers fetch the metrics and pass the frame in.
See ``docs/relationship-health.md``.
"""

from rapport.analytics.relationships.alarms import decline_alarms, first_alarms
from rapport.analytics.relationships.consistency import (
    consistency_index,
    outlier_units,
    shrunk_estimates,
)
from rapport.analytics.relationships.signals import check_signals, standard_errors, wide_signals
from rapport.analytics.relationships.stages import STAGES, relationship_stages

__all__ = [
    "STAGES",
    "check_signals",
    "consistency_index",
    "decline_alarms",
    "first_alarms",
    "outlier_units",
    "relationship_stages",
    "shrunk_estimates",
    "standard_errors",
    "wide_signals",
]
