"""responses by survey and time carry the audience: a survey's periods read from the index

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04

Replaces ``ix_responses_survey_submitted`` (``survey_id, submitted_at``) with
``ix_responses_survey_submitted_audience`` (``survey_id, submitted_at, audience``). The
periods a survey was answered in by its audience (reach's grid, read by every unit's
relationship page) fetched every response row to check its audience: 0.15 s for 200,000
responses on SQLite, 0.04 s from the index alone. The audience comes last: an index with it
second took SQLite's planner away from the unit index for one unit's responses
(``docs/performance.md``, tenth round).
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_responses_survey_submitted_audience",
        "responses",
        ["survey_id", "submitted_at", "audience"],
        unique=False,
    )
    op.drop_index("ix_responses_survey_submitted", table_name="responses")


def downgrade() -> None:
    op.create_index(
        "ix_responses_survey_submitted", "responses", ["survey_id", "submitted_at"], unique=False
    )
    op.drop_index("ix_responses_survey_submitted_audience", table_name="responses")
