"""The monitoring tables (SQLAlchemy Core; migration 0004 creates them).

``monitor_record``: the monitored records, each with a stable id, a row number
in the record index and the fingerprint of its screened fields; ``dirty`` means
"not screened against the lists since it was added or changed".
``monitor_match``: the current match state, one row per (record, listed entity)
scoring at or above the threshold, with the content hash of the entry matched.
``monitor_run`` and ``monitor_alert``: each re-screening and its change report.
``monitor_state``: the snapshot of the entities screened against at the last
run and the frozen matching statistics of the monitoring epoch.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

monitor_record = Table(
    "monitor_record", metadata,
    Column("id", String(200), primary_key=True),
    Column("row", Integer, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("data", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("added_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("dirty", Boolean, nullable=False),
)

monitor_match = Table(
    "monitor_match", metadata,
    Column("record_id", String(200), primary_key=True),
    Column("entity_id", String(200), primary_key=True),
    Column("source", String(100), nullable=False),
    Column("entity_name", Text, nullable=False),
    Column("entity_hash", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("list_seq", Integer, nullable=True),
    Column("run_id", Integer, nullable=False),
)

monitor_run = Table(
    "monitor_run", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", String(32), nullable=False),
    Column("as_of", String(10), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("versions", Text, nullable=False),
    Column("records_screened", Integer, nullable=False),
    Column("entities_screened", Integer, nullable=False),
    Column("pairs_scored", Integer, nullable=False),
    Column("new", Integer, nullable=False),
    Column("cleared", Integer, nullable=False),
    Column("changed", Integer, nullable=False),
    Column("seconds", Float, nullable=False),
)

monitor_alert = Table(
    "monitor_alert", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, nullable=False),
    Column("kind", String(10), nullable=False),
    Column("reason", String(30), nullable=False),
    Column("record_id", String(200), nullable=False),
    Column("record_name", Text, nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("entity_name", Text, nullable=False),
    Column("source", String(100), nullable=False),
    Column("old_score", Float, nullable=True),
    Column("new_score", Float, nullable=True),
    Column("list_seq", Integer, nullable=True),
)

monitor_state = Table(
    "monitor_state", metadata,
    Column("key", String(50), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)
