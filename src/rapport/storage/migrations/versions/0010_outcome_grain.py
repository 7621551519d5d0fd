"""outcomes.grain: business figures by month, ISO week or quarter

Outcomes were monthly only (the demo's revenue, churn and turnover). Imports now carry a
period of one of three grains (``2026-03``, ``2026-W11``, ``2026-Q1``) and a unit may have
the same figure at more than one grain (weekly sales and quarterly revenue), so the grain
is part of the key: unique (unit, grain, period, name). Existing rows are monthly.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("grain", sa.String(length=10), nullable=False, server_default="month")
        )
        batch_op.drop_constraint("uq_outcomes_unit_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_outcomes_unit_id", ["unit_id", "grain", "period", "metric"]
        )


def downgrade() -> None:
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.drop_constraint("uq_outcomes_unit_id", type_="unique")
    op.execute("DELETE FROM outcomes WHERE grain <> 'month'")
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_outcomes_unit_id", ["unit_id", "metric", "period"])
        batch_op.drop_column("grain")
