"""The audit tables (created by migration 0003).

``audit_record`` is the append-only chain; ``audit_head`` is one row (id 1)
holding the newest sequence number and hash, signed with the audit key. Every
writer locks that row first (an UPDATE), so appends are serialised on SQLite
and PostgreSQL alike and no two records can claim the same predecessor.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

GENESIS = "0" * 64
"""The ``prev_hash`` of the first record of a chain that was never purged."""

audit_record = sa.Table(
    "audit_record", metadata,
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
    sa.Index("ix_audit_record_recorded_at", "recorded_at"),
    sa.Index("ix_audit_record_subject", "subject"),
)

audit_head = sa.Table(
    "audit_head", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("key_id", sa.String(32), nullable=True),
    sa.Column("mac", sa.String(64), nullable=True),
)
