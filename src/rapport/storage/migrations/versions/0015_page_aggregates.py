"""page aggregates: comment emotions and person-attribute counts per version × unit × month

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

Creates ``comment_aggregates`` and ``attribute_aggregates`` and fills them from the
responses already stored (``rapport.storage.page_aggregates.rebuild``, which ``rapport
metrics rebuild-aggregates`` runs too).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

GRAIN = ("survey_version_id", "unit_id", "month", "audience")


def _grain_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("survey_version_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
    ]


def _foreign_keys(table: str) -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f(f"fk_{table}_survey_id_surveys")
        ),
        sa.ForeignKeyConstraint(
            ["survey_version_id"],
            ["survey_versions.id"],
            name=op.f(f"fk_{table}_survey_version_id_survey_versions"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f(f"fk_{table}_unit_id_units")),
    ]


def upgrade() -> None:
    op.create_table(
        "comment_aggregates",
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        *_grain_columns(),
        *_foreign_keys("comment_aggregates"),
        sa.PrimaryKeyConstraint("kind", "key", *GRAIN, name=op.f("pk_comment_aggregates")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "attribute_aggregates",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        *_grain_columns(),
        *_foreign_keys("attribute_aggregates"),
        sa.PrimaryKeyConstraint("name", "value", *GRAIN, name=op.f("pk_attribute_aggregates")),
        sqlite_with_rowid=False,
    )
    from rapport.storage import page_aggregates

    bind = op.get_bind()
    first, last = bind.execute(sa.text("SELECT min(id), max(id) FROM responses")).one()
    tables = ["comment_aggregates", "attribute_aggregates"]
    page_aggregates.rebuild(bind, int(first or 0), int(last or -1), 20_000, names=tables)


def downgrade() -> None:
    op.drop_table("attribute_aggregates")
    op.drop_table("comment_aggregates")
