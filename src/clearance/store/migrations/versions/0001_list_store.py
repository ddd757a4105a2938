"""The versioned list store: versions, entity contents, spans and change events.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "list_version",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("format", sa.String(50), nullable=False),
        sa.Column("published", sa.String(32)),
        sa.Column("effective_from", sa.String(32)),
        sa.Column("imported_at", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("files", sa.Text, nullable=False),
        sa.Column("entity_count", sa.Integer, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("removed", sa.Integer, nullable=False),
        sa.Column("changed", sa.Integer, nullable=False),
        sa.Column("meta", sa.Text, nullable=False),
        sa.UniqueConstraint("source", "seq", name="uq_list_version_source_seq"),
    )
    op.create_table(
        "entity_blob",
        sa.Column("hash", sa.String(64), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "entity_span",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("hash", sa.String(64), sa.ForeignKey("entity_blob.hash"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("schema", sa.String(32), nullable=False),
        sa.Column("start_seq", sa.Integer, nullable=False),
        sa.Column("end_seq", sa.Integer, nullable=True),
    )
    op.create_index("ix_entity_span_source_open", "entity_span", ["source", "end_seq"])
    op.create_index("ix_entity_span_entity", "entity_span", ["entity_id"])
    op.create_index("ix_entity_span_source_start", "entity_span", ["source", "start_seq"])
    op.create_table(
        "change_event",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("list_version.id"), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("day", sa.String(10)),
    )
    op.create_index("ix_change_event_version", "change_event", ["version_id"])
    op.create_index("ix_change_event_entity", "change_event", ["entity_id"])
    op.create_index("ix_change_event_day", "change_event", ["day"])


def downgrade() -> None:
    op.drop_table("change_event")
    op.drop_table("entity_span")
    op.drop_table("entity_blob")
    op.drop_table("list_version")
