"""crm_duplicate, duplicate_scan: likely duplicate CRM records, found by a periodic scan

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_duplicate",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["other_id"], ["crm_record.id"]),
        sa.ForeignKeyConstraint(["record_id"], ["crm_record.id"]),
        sa.PrimaryKeyConstraint("record_id", "other_id"),
    )
    op.create_table(
        "duplicate_scan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mirror_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("duplicate_scan")
    op.drop_table("crm_duplicate")
