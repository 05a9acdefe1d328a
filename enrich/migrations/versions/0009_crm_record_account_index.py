"""index crm_record.account_crm_id: an account's people are looked up on every rescore (the
roll-up) and by the CRM card

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crm_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_record_account_crm_id"), ["account_crm_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("crm_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_record_account_crm_id"))
