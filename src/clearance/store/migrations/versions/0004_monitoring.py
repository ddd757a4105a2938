"""Monitoring: monitored records, the current match state, runs and their change reports.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitor_record",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("row", sa.Integer, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("added_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("dirty", sa.Boolean, nullable=False),
    )
    op.create_index("ix_monitor_record_dirty", "monitor_record", ["dirty"])
    op.create_table(
        "monitor_match",
        sa.Column("record_id", sa.String(200), primary_key=True),
        sa.Column("entity_id", sa.String(200), primary_key=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("entity_name", sa.Text, nullable=False),
        sa.Column("entity_hash", sa.String(64), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("list_seq", sa.Integer, nullable=True),
        sa.Column("run_id", sa.Integer, nullable=False),
    )
    op.create_index("ix_monitor_match_entity", "monitor_match", ["entity_id"])
    op.create_table(
        "monitor_run",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("as_of", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("versions", sa.Text, nullable=False),
        sa.Column("records_screened", sa.Integer, nullable=False),
        sa.Column("entities_screened", sa.Integer, nullable=False),
        sa.Column("pairs_scored", sa.Integer, nullable=False),
        sa.Column("new", sa.Integer, nullable=False),
        sa.Column("cleared", sa.Integer, nullable=False),
        sa.Column("changed", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
    )
    op.create_table(
        "monitor_alert",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("record_id", sa.String(200), nullable=False),
        sa.Column("record_name", sa.Text, nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("entity_name", sa.Text, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("old_score", sa.Float, nullable=True),
        sa.Column("new_score", sa.Float, nullable=True),
        sa.Column("list_seq", sa.Integer, nullable=True),
    )
    op.create_index("ix_monitor_alert_run", "monitor_alert", ["run_id"])
    op.create_table(
        "monitor_state",
        sa.Column("key", sa.String(50), primary_key=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    for name in ("monitor_state", "monitor_alert", "monitor_run", "monitor_match",
                 "monitor_record"):
        op.drop_table(name)
