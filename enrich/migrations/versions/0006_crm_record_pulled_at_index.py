"""index crm_record.pulled_at: the matcher checks the mirror's freshness on every delivery

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crm_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_record_pulled_at"), ["pulled_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("crm_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_record_pulled_at"))
