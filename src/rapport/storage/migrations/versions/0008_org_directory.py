"""org directory: archived units keep who closed them, dated unit moves, people's phone and
SMS consent

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_by", sa.String(length=200), nullable=True))
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("consent_sms", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "unit_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("old_parent_id", sa.Integer(), nullable=True),
        sa.Column("new_parent_id", sa.Integer(), nullable=True),
        sa.Column("moved_on", sa.Date(), nullable=False),
        sa.Column("moved_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_moves_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["old_parent_id"], ["units.id"], name=op.f("fk_unit_moves_old_parent_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["new_parent_id"], ["units.id"], name=op.f("fk_unit_moves_new_parent_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_moves")),
    )
    with op.batch_alter_table("unit_moves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_moves_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unit_moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_moves_unit_id"))
    op.drop_table("unit_moves")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("consent_sms")
        batch_op.drop_column("phone")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("closed_by")
