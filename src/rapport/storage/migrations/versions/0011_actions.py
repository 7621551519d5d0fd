"""actions: intended effect, who logged it and when (fresh-experience actions, issue 15)

The ``actions`` table has held the demo's fresh-experience programmes since 0001; managers
now log their own through the API, CLI and pages, so each action records the customer
effect it is meant to have, who logged it and when. Rows that exist at the upgrade get the
upgrade time and no author.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns: list[sa.Column[object]] = [
        sa.Column("intended_effect", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
    ]
    if op.get_bind().dialect.name != "sqlite":
        for column in columns:
            op.add_column("actions", column)
        return
    # SQLite cannot ADD COLUMN with a CURRENT_TIMESTAMP default: copy the table instead.
    with op.batch_alter_table("actions", schema=None, recreate="always") as batch_op:
        for column in columns:
            batch_op.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_column("created_at")
        batch_op.drop_column("created_by")
        batch_op.drop_column("intended_effect")
