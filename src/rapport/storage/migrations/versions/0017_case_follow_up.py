"""case follow-up survey: a rule may name a follow-up survey; a case remembers the
invitation sent when it closed and the response that answered it

Follows 0015 (page aggregates).

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_survey_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_alert_rules_follow_up_survey_id_surveys"),
            "surveys",
            ["follow_up_survey_id"],
            ["id"],
        )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_invitation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("follow_up_response_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_follow_up_invitation_id_invitations"),
            "invitations",
            ["follow_up_invitation_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_follow_up_response_id_responses"),
            "responses",
            ["follow_up_response_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_cases_follow_up_invitation_id"), ["follow_up_invitation_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_follow_up_invitation_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_cases_follow_up_response_id_responses"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_cases_follow_up_invitation_id_invitations"), type_="foreignkey"
        )
        batch_op.drop_column("follow_up_response_id")
        batch_op.drop_column("follow_up_invitation_id")
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_alert_rules_follow_up_survey_id_surveys"), type_="foreignkey"
        )
        batch_op.drop_column("follow_up_survey_id")
