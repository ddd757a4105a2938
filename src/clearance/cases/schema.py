"""The case tables (created by migration 0003): cases, their alerts and the decisions."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

alert_case = sa.Table(
    "alert_case", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("subject_key", sa.String(255), nullable=False, unique=True,
              doc="id:<given id> or fp:<fingerprint of the screened fields>"),
    sa.Column("subject_id", sa.Text, nullable=True),
    sa.Column("subject_name", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False, doc="JSON: the screened fields, latest"),
    sa.Column("record_fingerprint", sa.String(64), nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("pending_by", sa.String(255), nullable=True,
              doc="four-eyes: who proposed the true match awaiting a second person"),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.Index("ix_alert_case_state", "state"),
)

alert = sa.Table(
    "alert", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("alert_case.id"), nullable=False),
    sa.Column("entity_id", sa.String(255), nullable=False),
    sa.Column("entity_name", sa.Text, nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("lists", sa.Text, nullable=False, doc="JSON list of list codes"),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("entity_hash", sa.String(64), nullable=False),
    sa.Column("record_fingerprint", sa.String(64), nullable=False),
    sa.Column("state", sa.String(20), nullable=False, doc="open | confirmed | cleared"),
    sa.Column("decision_id", sa.Integer, nullable=True),
    sa.Column("first_seen", sa.String(40), nullable=False),
    sa.Column("last_seen", sa.String(40), nullable=False),
    sa.Column("seen", sa.Integer, nullable=False, default=1),
    sa.Column("suppressed", sa.Integer, nullable=False, default=0),
    sa.UniqueConstraint("case_id", "entity_id", "record_fingerprint", "entity_hash",
                        name="uq_alert_identity"),
    sa.Index("ix_alert_case", "case_id"),
)

case_decision = sa.Table(
    "case_decision", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("alert_case.id"), nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("decision", sa.String(32), nullable=False),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("from_state", sa.String(32), nullable=False),
    sa.Column("to_state", sa.String(32), nullable=False),
    sa.Index("ix_case_decision_case", "case_id"),
)
