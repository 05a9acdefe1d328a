"""activity_write.touchpoint_id nullable: the ledger outlives a touchpoint purged by retention

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activity_write", schema=None) as batch_op:
        batch_op.alter_column("touchpoint_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM activity_write WHERE touchpoint_id IS NULL")
    with op.batch_alter_table("activity_write", schema=None) as batch_op:
        batch_op.alter_column("touchpoint_id", existing_type=sa.Integer(), nullable=False)
