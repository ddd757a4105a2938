"""Ownership links (FollowTheMoney ``Ownership``) for the 50 percent rules.

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ownership_link",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("link_id", sa.String(200), nullable=False),
        sa.Column("owner_id", sa.String(200), nullable=False),
        sa.Column("asset_id", sa.String(200), nullable=False),
        sa.Column("share", sa.Float, nullable=True),
        sa.Column("start", sa.String(32), nullable=True),
        sa.Column("end", sa.String(32), nullable=True),
        sa.Column("loaded_at", sa.String(32), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
    )
    op.create_index("ix_ownership_link_asset", "ownership_link", ["asset_id"])
    op.create_index("ix_ownership_link_owner", "ownership_link", ["owner_id"])
    op.create_index("ix_ownership_link_source", "ownership_link", ["source"])


def downgrade() -> None:
    op.drop_table("ownership_link")
