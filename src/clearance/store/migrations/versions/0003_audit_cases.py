"""Audit trail (hash chain and its signed head), alert cases and decisions; PostgreSQL widths.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # SQLite ignores VARCHAR lengths; PostgreSQL enforces them. Ids built from
        # publishers' keys have no stated bound, so they become TEXT there.
        for table in ("entity_span", "change_event"):
            op.alter_column(table, "entity_id", type_=sa.Text, existing_nullable=False)
    op.create_table(
        "audit_record",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(255), nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_record_recorded_at", "audit_record", ["recorded_at"])
    op.create_index("ix_audit_record_subject", "audit_record", ["subject"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("mac", sa.String(64), nullable=True),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS, "key_id": None, "mac": None}])
    op.create_table(
        "alert_case",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subject_key", sa.String(255), nullable=False, unique=True),
        sa.Column("subject_id", sa.Text, nullable=True),
        sa.Column("subject_name", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("record_fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("pending_by", sa.String(255), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_alert_case_state", "alert_case", ["state"])
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("alert_case.id"), nullable=False),
        sa.Column("entity_id", sa.String(255), nullable=False),
        sa.Column("entity_name", sa.Text, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("lists", sa.Text, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("entity_hash", sa.String(64), nullable=False),
        sa.Column("record_fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("decision_id", sa.Integer, nullable=True),
        sa.Column("first_seen", sa.String(40), nullable=False),
        sa.Column("last_seen", sa.String(40), nullable=False),
        sa.Column("seen", sa.Integer, nullable=False),
        sa.Column("suppressed", sa.Integer, nullable=False),
        sa.UniqueConstraint("case_id", "entity_id", "record_fingerprint", "entity_hash",
                            name="uq_alert_identity"),
    )
    op.create_index("ix_alert_case", "alert", ["case_id"])
    op.create_table(
        "case_decision",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("alert_case.id"), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("decision", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("from_state", sa.String(32), nullable=False),
        sa.Column("to_state", sa.String(32), nullable=False),
    )
    op.create_index("ix_case_decision_case", "case_decision", ["case_id"])


def downgrade() -> None:
    op.drop_table("case_decision")
    op.drop_table("alert")
    op.drop_table("alert_case")
    op.drop_table("audit_head")
    op.drop_table("audit_record")
    if op.get_bind().dialect.name == "postgresql":
        for table in ("entity_span", "change_event"):
            op.alter_column(table, "entity_id", type_=sa.String(200), existing_nullable=False)
