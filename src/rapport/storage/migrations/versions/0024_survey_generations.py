"""survey generations: what one survey's responses were, apart from every other write

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04

Adds ``w`` to ``data_generation`` (moves on every data write that is not declared as one
survey's responses) and ``survey_generations`` (one number per survey, moved by the writes
declared as its own: ``rapport.storage.generation.for_surveys``). What metric statements
read of one survey is kept under its number and ``w``: a customer's response no longer makes
every employee table be read again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("data_generation") as batch:
        batch.add_column(sa.Column("w", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_table(
        "survey_generations",
        sa.Column("survey_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("survey_id", name=op.f("pk_survey_generations")),
    )


def downgrade() -> None:
    op.drop_table("survey_generations")
    with op.batch_alter_table("data_generation") as batch:
        batch.drop_column("w")
