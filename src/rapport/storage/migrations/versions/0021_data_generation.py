"""data generation: one row that moves on every commit that writes what analytics read

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03

``rapport.storage.generation`` moves it from the writer engine, in the committing
transaction; metric reads are kept across requests under it (SQLite and PostgreSQL).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "data_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_generation")),
        sa.CheckConstraint("id = 1", name=op.f("ck_data_generation_one_row")),
    )
    op.bulk_insert(table, [{"id": 1, "token": uuid.uuid4().hex, "n": 0}])


def downgrade() -> None:
    op.drop_table("data_generation")
