"""learning log: blameless breakdown learnings, their changes and links

Follows 0013 (webhooks).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 05:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("what_happened", sa.Text(), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        sa.Column("learnt", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=320), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("survey_id", sa.Integer(), nullable=True),
        sa.Column("metric", sa.String(length=60), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_learnings_survey_id_surveys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learnings")),
    )
    op.create_table(
        "learning_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learning_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["learning_id"],
            ["learnings.id"],
            name=op.f("fk_learning_changes_learning_id_learnings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_changes")),
    )
    with op.batch_alter_table("learning_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learning_changes_learning_id"), ["learning_id"], unique=False
        )
    op.create_table(
        "learning_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learning_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("theme", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_learning_links_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learning_id"],
            ["learnings.id"],
            name=op.f("fk_learning_links_learning_id_learnings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_learning_links_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_learning_links_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_links")),
    )
    with op.batch_alter_table("learning_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_learning_links_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_learning_links_learning_id"), ["learning_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_learning_links_response_id"), ["response_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("learning_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learning_links_response_id"))
        batch_op.drop_index(batch_op.f("ix_learning_links_learning_id"))
        batch_op.drop_index(batch_op.f("ix_learning_links_case_id"))
    op.drop_table("learning_links")
    with op.batch_alter_table("learning_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learning_changes_learning_id"))
    op.drop_table("learning_changes")
    op.drop_table("learnings")
