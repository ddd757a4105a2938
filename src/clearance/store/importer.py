"""Importing one publication as a new list version, all or nothing.

The publication's entities are streamed and compared with the entities in
force for the same source; only what changed is written. Everything happens
in one transaction: a parse error half-way leaves the store as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
from sqlalchemy import Insert, Table, and_, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from clearance.errors import FormatError, VersionOrderError
from clearance.model import Entity, diff_fields
from clearance.sources.base import Publication
from clearance.store.schema import change_event, entity_blob, entity_span, list_version

_BATCH = 2000


@dataclass
class ImportResult:
    """What an import did: the version it created (or found) and the counts."""

    source: str
    version_id: int
    seq: int
    published: str | None
    unchanged: bool
    entity_count: int
    added: int = 0
    removed: int = 0
    changed: int = 0
    files: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """What the publication lacks (an OFAC set without its alias file, ...)."""

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class _Pending:
    """Rows waiting to be written in batches."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    spans: list[dict[str, object]] = field(default_factory=list)
    events: list[dict[str, object]] = field(default_factory=list)


def import_publication(
    conn: Connection,
    pub: Publication,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Write ``pub`` as the next version of its source, inside ``conn``'s transaction."""
    digest = pub.digest()
    files = pub.file_digests()
    latest = conn.execute(
        select(list_version).where(list_version.c.source == pub.source)
        .order_by(list_version.c.seq.desc()).limit(1)
    ).mappings().first()
    if latest is not None and latest["sha256"] == digest:
        return ImportResult(pub.source, latest["id"], latest["seq"], latest["published"],
                            True, latest["entity_count"], files=files, warnings=_warnings(pub))
    if latest is not None and pub.published and latest["published"] \
            and pub.published < latest["published"]:
        # An import run again after an interruption (a killed history import, an update
        # re-run) meets the versions it already wrote: the same content is there, so it
        # is skipped and the run goes on to the end.
        known = _version_with_digest(conn, pub.source, digest)
        if known is not None:
            return ImportResult(pub.source, known["id"], known["seq"], known["published"],
                                True, known["entity_count"], files=files)
        raise VersionOrderError(
            f"publication of {pub.published} is older than version {latest['seq']} "
            f"({latest['published']}) already in force for {pub.source}; "
            "import versions in chronological order",
            path=pub.files[0] if pub.files else None)
    seq = (latest["seq"] + 1) if latest is not None else 1
    now = datetime.now(UTC)
    version_id = conn.execute(insert(list_version).values(
        source=pub.source, seq=seq, format=pub.format, published=pub.published,
        # A publication with no date in its path or content holds from its import: with
        # no effective date at all, no "as of" would ever reach it and it would be kept
        # but never screened.
        effective_from=pub.effective_from or pub.published or _in_force_from(now),
        imported_at=now.isoformat(timespec="seconds"), sha256=digest,
        files=orjson.dumps(files).decode(), entity_count=0, added=0, removed=0, changed=0,
        meta=orjson.dumps(pub.meta, default=str).decode(),
    )).inserted_primary_key[0]
    day = (pub.published or "")[:10] or None
    current = _open_spans(conn, pub.source)
    pending = _Pending()
    seen: set[str] = set()
    counts = {"added": 0, "changed": 0, "removed": 0}
    for entity in pub.entities:
        if entity.id in seen:
            raise FormatError(f"entity {entity.key!r} appears twice in one publication",
                              path=pub.files[0] if pub.files else None)
        seen.add(entity.id)
        _compare(conn, entity, current.get(entity.id), seq, version_id, day, pending, counts)
        if len(pending.spans) >= _BATCH:
            _flush(conn, pending)
        if progress is not None and len(seen) % 1000 == 0:
            progress(len(seen))
    for entity_id, (span_id, _hash, name) in current.items():
        if entity_id not in seen:
            _close(conn, span_id, seq)
            pending.events.append(
                _event(version_id, pub.source, entity_id, "removed", [], name, day))
            counts["removed"] += 1
    _flush(conn, pending)
    conn.execute(update(list_version).where(list_version.c.id == version_id).values(
        entity_count=len(seen), **counts))
    return ImportResult(pub.source, version_id, seq, pub.published, False, len(seen),
                        files=files, warnings=_warnings(pub), **counts)


def _warnings(pub: Publication) -> list[str]:
    found = pub.meta.get("warnings")
    return [str(w) for w in found] if isinstance(found, list) else []


def _in_force_from(imported: datetime) -> str:
    """The import time as the versions' other dates are written (UTC, no offset)."""
    return imported.strftime("%Y-%m-%dT%H:%M:%S")


def _version_with_digest(conn: Connection, source: str, digest: str) -> RowMapping | None:
    """The newest version of ``source`` whose publication had this digest, if any."""
    return conn.execute(
        select(list_version).where(and_(list_version.c.source == source,
                                        list_version.c.sha256 == digest))
        .order_by(list_version.c.seq.desc()).limit(1)).mappings().first()


def _open_spans(conn: Connection, source: str) -> dict[str, tuple[int, str, str]]:
    rows = conn.execute(
        select(entity_span.c.entity_id, entity_span.c.id, entity_span.c.hash, entity_span.c.name)
        .where(and_(entity_span.c.source == source, entity_span.c.end_seq.is_(None)))
    )
    return {r.entity_id: (r.id, r.hash, r.name) for r in rows}


def _compare(conn: Connection, entity: Entity, open_span: tuple[int, str, str] | None,
             seq: int, version_id: int, day: str | None, pending: _Pending,
             counts: dict[str, int]) -> None:
    content_hash = entity.content_hash()
    if open_span is not None and open_span[1] == content_hash:
        return
    if open_span is None:
        kind, changed_fields = "added", []
    else:
        kind = "changed"
        changed_fields = diff_fields(_load(conn, open_span[1]), entity)
        _close(conn, open_span[0], seq)
    counts[kind] += 1
    pending.blobs.setdefault(content_hash, entity.to_json())
    pending.spans.append({"source": entity.source, "entity_id": entity.id, "hash": content_hash,
                          "name": entity.name, "schema": entity.schema,
                          "start_seq": seq, "end_seq": None})
    pending.events.append(_event(version_id, entity.source, entity.id, kind, changed_fields,
                                 entity.name, day))


def _event(version_id: int, source: str, entity_id: str, kind: str, fields: list[str],
           name: str, day: str | None) -> dict[str, object]:
    return {"version_id": version_id, "source": source, "entity_id": entity_id, "kind": kind,
            "fields": orjson.dumps(fields).decode(), "name": name, "day": day}


def _close(conn: Connection, span_id: int, seq: int) -> None:
    conn.execute(update(entity_span).where(entity_span.c.id == span_id).values(end_seq=seq))


def _load(conn: Connection, content_hash: str) -> Entity:
    data = conn.execute(select(entity_blob.c.data).where(entity_blob.c.hash == content_hash))
    return Entity.from_json(data.scalar_one())


def _insert_ignore(conn: Connection, table: Table, key: str) -> Insert:
    """INSERT that skips rows whose ``key`` exists (a concurrent import may add the same
    content between our check and our insert): ON CONFLICT DO NOTHING on both databases."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=[key])
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=[key])
    return insert(table)


def _flush(conn: Connection, pending: _Pending) -> None:
    if pending.blobs:
        known = set(conn.execute(select(entity_blob.c.hash).where(
            entity_blob.c.hash.in_(list(pending.blobs)))).scalars())
        rows = [{"hash": h, "data": d} for h, d in pending.blobs.items() if h not in known]
        if rows:
            conn.execute(_insert_ignore(conn, entity_blob, "hash"), rows)
    if pending.spans:
        conn.execute(insert(entity_span), pending.spans)
    if pending.events:
        conn.execute(insert(change_event), pending.events)
    pending.blobs.clear()
    pending.spans.clear()
    pending.events.clear()
