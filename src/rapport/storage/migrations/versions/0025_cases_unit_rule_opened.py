"""cases by unit, rule and opening time: the repeat-issue rate seeks to its window

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05

Replaces ``ix_cases_unit_id`` (``unit_id``) with ``ix_cases_unit_rule_opened`` (``unit_id,
rule_id, opened_at``), whose prefix serves what the old one did. The repeat-issue rate asks,
for every case, whether an earlier case of the same unit and alert rule was opened within
30 days; by unit alone each case visited every case of its unit over the whole history
(``docs/performance.md``, eighteenth round).
"""

from __future__ import annotations

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_unit_rule_opened", "cases", ["unit_id", "rule_id", "opened_at"], unique=False
    )
    op.drop_index("ix_cases_unit_id", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_unit_id", "cases", ["unit_id"], unique=False)
    op.drop_index("ix_cases_unit_rule_opened", table_name="cases")
