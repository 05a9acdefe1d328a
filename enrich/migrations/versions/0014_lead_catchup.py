"""lead_catchup: where the catch-up of each Meta form / LinkedIn owner stands

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-08
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "lead_catchup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", _text(20), nullable=False),
        sa.Column("scope", _text(200), nullable=False),
        sa.Column("account", _text(200), nullable=True),
        sa.Column("watermark", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("status", _text(20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("next_run_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_run_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("found", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "scope", name="uq_lead_catchup"),
    )


def downgrade() -> None:
    op.drop_table("lead_catchup")
