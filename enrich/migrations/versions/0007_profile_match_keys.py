"""profile_match_key: a CRM record added or changed re-matches the profiles it would be a
candidate for, linked or not

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profile_match_key",
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["profile_id"], ["social_profile.id"]),
        sa.PrimaryKeyConstraint("key", "profile_id"),
    )
    with op.batch_alter_table("profile_match_key", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_profile_match_key_profile_id"), ["profile_id"], unique=False
        )
    with op.batch_alter_table("social_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("match_keys_digest", sa.BigInteger(), nullable=True))
    # Profiles stored before this have no keys yet: match them again once, which stores them.
    op.execute(
        "UPDATE social_profile SET match_requested_at = CURRENT_TIMESTAMP "
        "WHERE match_requested_at IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("social_profile", schema=None) as batch_op:
        batch_op.drop_column("match_keys_digest")
    with op.batch_alter_table("profile_match_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_match_key_profile_id"))
    op.drop_table("profile_match_key")
