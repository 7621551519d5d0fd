"""attribute index aggregates: top-level construct sums by person attribute, version, unit, month

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03

Creates ``attribute_index_aggregates`` and fills it from the responses already stored
(``rapport.storage.page_aggregates.rebuild``, which ``rapport metrics rebuild-aggregates``
runs too).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TABLE = "attribute_index_aggregates"
GRAIN = ("survey_version_id", "unit_id", "month", "audience")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("survey_version_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("total_sq", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f(f"fk_{TABLE}_survey_id_surveys")
        ),
        sa.ForeignKeyConstraint(
            ["survey_version_id"],
            ["survey_versions.id"],
            name=op.f(f"fk_{TABLE}_survey_version_id_survey_versions"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f(f"fk_{TABLE}_unit_id_units")),
        sa.PrimaryKeyConstraint("name", "key", "value", *GRAIN, name=op.f(f"pk_{TABLE}")),
        sqlite_with_rowid=False,
    )
    from rapport.storage import page_aggregates

    bind = op.get_bind()
    first, last = bind.execute(sa.text("SELECT min(id), max(id) FROM responses")).one()
    page_aggregates.rebuild(bind, int(first or 0), int(last or -1), 20_000, names=[TABLE])


def downgrade() -> None:
    op.drop_table(TABLE)
