"""aggregate history: the data generation also counts writes of past months' aggregates

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03

Adds ``h`` (moves when a transaction writes monthly aggregates of a month before ``since``)
and ``since`` (an ISO date, the first month not counted by ``h``) to ``data_generation``
(``rapport.storage.generation``): metric reads of the months before ``since`` are kept
across new responses, which write only the open month. ``since`` starts at the current
month: nothing has written the months before it since ``h`` started.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("data_generation") as batch:
        batch.add_column(sa.Column("h", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("since", sa.String(length=10), nullable=True))
    month = datetime.now(UTC).date().replace(day=1).isoformat()
    op.execute(sa.text("UPDATE data_generation SET since = :month").bindparams(month=month))


def downgrade() -> None:
    with op.batch_alter_table("data_generation") as batch:
        batch.drop_column("since")
        batch.drop_column("h")
