"""people.created_at: when a person entered the directory, for the retention rule

Retention erases people with no invitation or response activity for N months; a person
imported yesterday and not yet invited must not count as inactive, so the directory
records when each person was added. Rows that exist at the upgrade get the upgrade time
(their retention clock starts then).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    column = sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )
    if op.get_bind().dialect.name != "sqlite":
        op.add_column("people", column)
        return
    # SQLite cannot ADD COLUMN with a CURRENT_TIMESTAMP default: copy the table instead.
    with op.batch_alter_table("people", schema=None, recreate="always") as batch_op:
        batch_op.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("created_at")
