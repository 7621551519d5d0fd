"""comment snapshots: themes found off the request path, and each survey's data revision

``comment_snapshots`` keeps what was computed from a survey's comments (its themes) for one
filter, with the data version it was computed at; ``surveys.data_revision`` counts changes
to stored responses other than new ones (an erasure), so caches keyed by the data version
see them.

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("data_revision", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "comment_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("last_response_id", sa.Integer(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_comment_snapshots_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_snapshots")),
        sa.UniqueConstraint(
            "survey_id", "kind", "key", name=op.f("uq_comment_snapshots_survey_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("comment_snapshots")
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_column("data_revision")
