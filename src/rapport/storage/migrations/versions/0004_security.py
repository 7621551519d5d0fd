"""security: idempotency keys scoped to their caller

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("idempotency_scope", sa.String(length=120), server_default="", nullable=False)
        )
        batch_op.drop_constraint("uq_responses_survey_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_responses_survey_id", ["survey_id", "idempotency_scope", "idempotency_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_constraint("uq_responses_survey_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_responses_survey_id", ["survey_id", "idempotency_key"]
        )
        batch_op.drop_column("idempotency_scope")
