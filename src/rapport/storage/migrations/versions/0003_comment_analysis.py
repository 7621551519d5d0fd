"""comment analysis: emotions per free-text answer, with the model version

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comment_analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=120), nullable=False),
        sa.Column("model_version", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("sentiment", sa.String(length=60), nullable=True),
        sa.Column("labels", sa.String(length=500), nullable=False),
        sa.Column("ekman", sa.String(length=200), nullable=False),
        sa.Column("original_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_comment_analyses_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_analyses")),
        sa.UniqueConstraint(
            "response_id", "question_id", name=op.f("uq_comment_analyses_response_id")
        ),
    )
    with op.batch_alter_table("comment_analyses", schema=None) as batch_op:
        batch_op.create_index("ix_comment_analyses_model_version", ["model_version"])


def downgrade() -> None:
    op.drop_table("comment_analyses")
