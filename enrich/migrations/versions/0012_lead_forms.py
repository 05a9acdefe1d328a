"""lead_form: lead-form responses (Meta Lead Ads, LinkedIn Lead Gen Forms) and their CRM Leads

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "lead_form",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", _text(20), nullable=False),
        sa.Column("lead_id", _text(100), nullable=False),
        sa.Column("raw_event_id", sa.Integer(), nullable=True),
        sa.Column("account", _text(200), nullable=True),
        sa.Column("form_id", _text(200), nullable=True),
        sa.Column("ad_id", _text(200), nullable=True),
        sa.Column("status", _text(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("fetched_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("test_lead", sa.Boolean(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("consents", sa.JSON(), nullable=True),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("touchpoint_id", sa.Integer(), nullable=True),
        sa.Column("crm_status", _text(20), nullable=True),
        sa.Column("crm_id", _text(64), nullable=True),
        sa.Column("crm_attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "lead_id", name="uq_lead_form"),
    )
    op.create_index("ix_lead_form_due", "lead_form", ["status", "next_attempt_at"])
    op.create_index("ix_lead_form_profile_id", "lead_form", ["profile_id"])
    op.create_index("ix_lead_form_crm_status", "lead_form", ["crm_status"])


def downgrade() -> None:
    op.drop_index("ix_lead_form_crm_status", table_name="lead_form")
    op.drop_index("ix_lead_form_profile_id", table_name="lead_form")
    op.drop_index("ix_lead_form_due", table_name="lead_form")
    op.drop_table("lead_form")
