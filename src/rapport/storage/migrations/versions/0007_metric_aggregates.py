"""metric aggregates: sufficient statistics per version × unit × month that metrics read

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Creates ``item_constructs`` and ``metric_aggregates`` and fills them from the responses
already stored (``rapport.storage.aggregates.rebuild``, the statement ``rapport metrics
rebuild-aggregates`` runs). Should the aggregates' columns ever change, the migration that
changes them rebuilds them again and this one keeps creating the tables it created.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

KEY = ("kind", "key", "item", "survey_version_id", "unit_id", "month", "value", "audience")


def upgrade() -> None:
    op.create_table(
        "item_constructs",
        sa.Column("survey_item_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_item_id"],
            ["survey_items.id"],
            name=op.f("fk_item_constructs_survey_item_id_survey_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("survey_item_id", "prefix", name=op.f("pk_item_constructs")),
    )
    op.create_table(
        "metric_aggregates",
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("item", sa.String(length=120), nullable=False),
        sa.Column("survey_version_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("total_sq", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_metric_aggregates_survey_id_surveys")
        ),
        sa.ForeignKeyConstraint(
            ["survey_version_id"],
            ["survey_versions.id"],
            name=op.f("fk_metric_aggregates_survey_version_id_survey_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_metric_aggregates_unit_id_units")
        ),
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_metric_aggregates")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_metric_aggregates_grain", "metric_aggregates", ["survey_id", "month"], unique=False
    )
    from rapport.storage import aggregates

    aggregates.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_metric_aggregates_grain", table_name="metric_aggregates")
    op.drop_table("metric_aggregates")
    op.drop_table("item_constructs")
