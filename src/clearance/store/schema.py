"""The tables of the list store (SQLAlchemy Core; Alembic migrations create them).

Entities are stored once per distinct content (``entity_blob``) and linked to
the versions in which they hold by spans (``entity_span``): a span opens at
the version where an entity appears or changes and closes at the version
where it changes again or disappears. 308 SDN versions of 15,000 entities
thus cost one row per change, not one row per entity per version.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

list_version = Table(
    "list_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(100), nullable=False),
    Column("seq", Integer, nullable=False, doc="1, 2, ... per source, in publication order"),
    Column("format", String(50), nullable=False),
    Column("published", String(32), doc="publisher's date or best evidence (ISO)"),
    Column("effective_from", String(32), doc="from when the content holds (ISO)"),
    Column("imported_at", String(32), nullable=False),
    Column("sha256", String(64), nullable=False, doc="digest over the input files' digests"),
    Column("files", Text, nullable=False, doc="JSON: file name -> sha256"),
    Column("entity_count", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("removed", Integer, nullable=False),
    Column("changed", Integer, nullable=False),
    Column("meta", Text, nullable=False, default="{}"),
    UniqueConstraint("source", "seq", name="uq_list_version_source_seq"),
)

entity_blob = Table(
    "entity_blob",
    metadata,
    Column("hash", String(64), primary_key=True, doc="sha256 of the parsed content"),
    Column("data", LargeBinary, nullable=False, doc="canonical JSON with the raw record"),
)

entity_span = Table(
    "entity_span",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(100), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("hash", String(64), ForeignKey("entity_blob.hash"), nullable=False),
    Column("name", Text, nullable=False),
    Column("schema", String(32), nullable=False),
    Column("start_seq", Integer, nullable=False),
    Column("end_seq", Integer, nullable=True, doc="exclusive; NULL while in force"),
    Index("ix_entity_span_source_open", "source", "end_seq"),
    Index("ix_entity_span_entity", "entity_id"),
    Index("ix_entity_span_source_start", "source", "start_seq"),
)

change_event = Table(
    "change_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version_id", Integer, ForeignKey("list_version.id"), nullable=False),
    Column("source", String(100), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("kind", String(10), nullable=False, doc="added | removed | changed"),
    Column("fields", Text, nullable=False, default="[]", doc="JSON list of changed fields"),
    Column("name", Text, nullable=False),
    Column("day", String(10), doc="publication day of the version (ISO)"),
    Index("ix_change_event_version", "version_id"),
    Index("ix_change_event_entity", "entity_id"),
    Index("ix_change_event_day", "day"),
)
