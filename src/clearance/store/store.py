"""The versioned list store: every version of every list, and the history of every listing.

>>> store = Store.open()                       # CLEARANCE_DATABASE_URL or SQLite in CLEARANCE_HOME
>>> store.import_path(Path("sdn.csv"))         # a new version, or nothing if unchanged
>>> store.entities_as_of("2018-05-01")         # what was listed on that day
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
from sqlalchemy import and_, create_engine, event, func, or_, select
from sqlalchemy.engine import Connection, Engine

from clearance.errors import NotFoundError, StoreError
from clearance.model import Entity
from clearance.model.dates import to_iso_day
from clearance.settings import Settings, get_settings, normalise_database_url
from clearance.sources import read
from clearance.sources.base import Publication
from clearance.store import migrate
from clearance.store.importer import ImportResult, import_publication
from clearance.store.schema import change_event, entity_blob, entity_span, list_version
from clearance.store.writers import write_transaction


@dataclass(frozen=True)
class Version:
    """One imported publication of one source."""

    id: int
    source: str
    seq: int
    format: str
    published: str | None
    effective_from: str | None
    imported_at: str
    sha256: str
    files: dict[str, str]
    entity_count: int
    added: int
    removed: int
    changed: int

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ChangeEvent:
    """An entity added, removed or changed between two consecutive versions."""

    source: str
    entity_id: str
    kind: str
    fields: list[str]
    name: str
    day: str | None
    version_seq: int

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class Store:
    """The list store on one database (SQLite by default, PostgreSQL later)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None, settings: Settings | None = None) -> Store:
        """Open (and migrate to the newest schema) the store at ``url`` or the configured one."""
        settings = settings or get_settings()
        engine = create_engine(normalise_database_url(url) if url
                               else settings.resolved_database_url())
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        migrate.upgrade(engine)
        return cls(engine)

    # -- importing -----------------------------------------------------------

    def import_publication(self, pub: Publication,
                           progress: Callable[[int], None] | None = None) -> ImportResult:
        """Import one publication in one transaction: all of it or nothing."""
        from sqlalchemy.exc import IntegrityError

        try:
            # Under the writer lock, so that a service trying it (an API request) can tell
            # an import is being written instead of waiting on SQLite's own lock.
            with write_transaction(self.engine) as conn:
                return import_publication(conn, pub, progress)
        except IntegrityError as exc:
            text = str(exc)
            if "uq_list_version_source_seq" in text or "list_version.source" in text:
                raise StoreError(f"another import of {pub.source} committed a version while "
                                 "this one ran; nothing was written, try again") from None
            raise

    def import_path(self, path: Path, format: str | None = None, source: str | None = None,
                    published: str | None = None) -> ImportResult:
        """Read ``path`` (format detected unless given) and import it."""
        pub = read(Path(path), format)
        if source:
            pub.source = source
        if published:
            pub.published = published
            pub.effective_from = published
        return self.import_publication(pub)

    # -- versions ------------------------------------------------------------

    def versions(self, source: str | None = None) -> list[Version]:
        query = select(list_version).order_by(list_version.c.source, list_version.c.seq)
        if source:
            query = query.where(list_version.c.source == source)
        with self.engine.connect() as conn:
            return [_version(r) for r in conn.execute(query).mappings()]

    def sources(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(list_version.c.source).distinct()
                                     .order_by(list_version.c.source)).scalars())

    def version_as_of(self, source: str, at: str) -> Version | None:
        """The version of ``source`` in force at ``at`` (ISO date or datetime)."""
        stamp = at if "T" in at else f"{at}T23:59:59"
        with self.engine.connect() as conn:
            row = conn.execute(
                select(list_version).where(and_(
                    list_version.c.source == source,
                    func.coalesce(list_version.c.effective_from, list_version.c.published)
                    <= stamp))
                .order_by(list_version.c.seq.desc()).limit(1)).mappings().first()
        return _version(row) if row else None

    def latest_versions(self) -> list[Version]:
        """The newest version of every source."""
        return [vs[-1] for vs in _by_source(self.versions()).values()]

    # -- content -------------------------------------------------------------

    def entities(self, source: str | None = None, seq: int | None = None) -> Iterator[Entity]:
        """The entities of a version (default: the newest of each source), unfiltered by date."""
        targets = ([(source, seq or self._latest_seq(source))] if source
                   else [(v.source, v.seq) for v in self.latest_versions()])
        with self.engine.connect() as conn:
            for src, s in targets:
                yield from _entities_at(conn, src, s)

    def entities_as_of(self, at: str | None = None, sources: list[str] | None = None,
                       with_notes: bool = False) -> Iterator[Entity]:
        """What was listed at ``at``: the versions in force then, filtered by listing dates.

        ``with_notes`` also gives the parties whose only listing covering ``at`` is
        suspended (ZTE in August 2018): they restrict nothing, but a screening
        shows them so the analyst sees the suspended order.
        """
        day = to_iso_day(at)
        for src in sources or self.sources():
            version = self.version_as_of(src, at or day)
            if version is None:
                continue
            with self.engine.connect() as conn:
                for entity in _entities_at(conn, src, version.seq):
                    if _listed_on(entity, day) or (with_notes and entity.notes_on(day)):
                        yield entity

    def entity(self, entity_id: str, at: str | None = None) -> Entity:
        """One entity as of ``at`` (default: its newest content), or NotFoundError."""
        with self.engine.connect() as conn:
            spans = conn.execute(select(entity_span).where(entity_span.c.entity_id == entity_id)
                                 .order_by(entity_span.c.start_seq)).mappings().all()
            if not spans:
                raise NotFoundError(f"no entity with id {entity_id!r}")
            span = spans[-1]
            if at is not None:
                version = self.version_as_of(span["source"], at)
                if version is None:
                    raise NotFoundError(f"{entity_id} had no version in force at {at}")
                matching = [s for s in spans if s["start_seq"] <= version.seq
                            and (s["end_seq"] is None or s["end_seq"] > version.seq)]
                if not matching:
                    raise NotFoundError(f"{entity_id} was not published at {at}")
                span = matching[0]
            return _load(conn, span["hash"])

    def contents(self, entity_id: str) -> list[Entity]:
        """Every distinct content an entity had, in the order of the versions (its history's
        listing dates, citations and notes are in these)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(entity_blob.c.hash, entity_blob.c.data)
                                .join(entity_span, entity_span.c.hash == entity_blob.c.hash)
                                .where(entity_span.c.entity_id == entity_id)
                                .order_by(entity_span.c.start_seq))
            seen: dict[str, Entity] = {}
            for content_hash, data in rows:
                if content_hash not in seen:
                    seen[content_hash] = Entity.from_json(data)
            return list(seen.values())

    def find_ids(self, text: str, limit: int = 20) -> list[str]:
        """Entity ids whose name (in any version) contains ``text``, case-insensitively."""
        pattern = f"%{text.lower()}%"
        with self.engine.connect() as conn:
            rows = conn.execute(select(entity_span.c.entity_id).distinct()
                                .where(or_(func.lower(entity_span.c.name).like(pattern),
                                           entity_span.c.entity_id == text))
                                .limit(limit))
            return list(rows.scalars())

    # -- history -------------------------------------------------------------

    def history(self, entity_id: str) -> list[ChangeEvent]:
        """Every change event of one entity, oldest first."""
        query = (select(change_event, list_version.c.seq)
                 .join(list_version, list_version.c.id == change_event.c.version_id)
                 .where(change_event.c.entity_id == entity_id)
                 .order_by(list_version.c.source, list_version.c.seq))
        return self._events(query)

    def changes(self, source: str | None = None, day: str | None = None,
                seq: int | None = None) -> list[ChangeEvent]:
        """Change events by source, publication day and/or version number."""
        query = (select(change_event, list_version.c.seq)
                 .join(list_version, list_version.c.id == change_event.c.version_id)
                 .order_by(list_version.c.seq, change_event.c.id))
        if source:
            query = query.where(change_event.c.source == source)
        if day:
            query = query.where(change_event.c.day == day)
        if seq is not None:
            query = query.where(list_version.c.seq == seq)
        return self._events(query)

    def diff(self, source: str, from_seq: int | None = None, to_seq: int | None = None
             ) -> list[ChangeEvent]:
        """Entities added, removed and changed between two versions of a source.

        Computed from the spans, so it works between any two versions, not
        only consecutive ones. Defaults: the newest version against the one
        before it.
        """
        to_seq = to_seq or self._latest_seq(source)
        from_seq = from_seq if from_seq is not None else to_seq - 1
        with self.engine.connect() as conn:
            old = _span_map(conn, source, from_seq)
            new = _span_map(conn, source, to_seq)
            out: list[ChangeEvent] = []
            for eid in sorted(set(old) | set(new)):
                a, b = old.get(eid), new.get(eid)
                if a and b and a[0] == b[0]:
                    continue
                if a is None and b is not None:
                    out.append(ChangeEvent(source, eid, "added", [], b[1], None, to_seq))
                elif b is None and a is not None:
                    out.append(ChangeEvent(source, eid, "removed", [], a[1], None, to_seq))
                elif a and b:
                    from clearance.model import diff_fields
                    fields = diff_fields(_load(conn, a[0]), _load(conn, b[0]))
                    out.append(ChangeEvent(source, eid, "changed", fields, b[1], None, to_seq))
            return out

    # -- internals -----------------------------------------------------------

    def _latest_seq(self, source: str) -> int:
        with self.engine.connect() as conn:
            seq = conn.execute(select(func.max(list_version.c.seq))
                               .where(list_version.c.source == source)).scalar()
        if seq is None:
            raise NotFoundError(f"no version of source {source!r} has been imported")
        return int(seq)

    def _events(self, query: object) -> list[ChangeEvent]:
        with self.engine.connect() as conn:
            return [ChangeEvent(r["source"], r["entity_id"], r["kind"], orjson.loads(r["fields"]),
                                r["name"], r["day"], r["seq"])
                    for r in conn.execute(query).mappings()]  # type: ignore[call-overload]


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")  # concurrent writers queue instead of failing
    cursor.close()


def _version(row: object) -> Version:
    data = dict(row)  # type: ignore[call-overload]
    data["files"] = orjson.loads(data["files"])
    data.pop("meta", None)
    return Version(**data)


def _by_source(versions: list[Version]) -> dict[str, list[Version]]:
    out: dict[str, list[Version]] = {}
    for v in versions:
        out.setdefault(v.source, []).append(v)
    return out


def _at_seq(source: str, seq: int) -> object:
    return and_(entity_span.c.source == source, entity_span.c.start_seq <= seq,
                or_(entity_span.c.end_seq.is_(None), entity_span.c.end_seq > seq))


def _entities_at(conn: Connection, source: str, seq: int) -> Iterator[Entity]:
    rows = conn.execute(select(entity_blob.c.data)
                        .join(entity_span, entity_span.c.hash == entity_blob.c.hash)
                        .where(_at_seq(source, seq)).order_by(entity_span.c.entity_id))
    for (data,) in rows:
        yield Entity.from_json(data)


def _span_map(conn: Connection, source: str, seq: int) -> dict[str, tuple[str, str]]:
    if seq < 1:
        return {}
    rows = conn.execute(select(entity_span.c.entity_id, entity_span.c.hash, entity_span.c.name)
                        .where(_at_seq(source, seq)))
    return {r.entity_id: (r.hash, r.name) for r in rows}


def _load(conn: Connection, content_hash: str) -> Entity:
    data = conn.execute(select(entity_blob.c.data).where(entity_blob.c.hash == content_hash))
    return Entity.from_json(data.scalar_one())


def _listed_on(entity: Entity, day: str) -> bool:
    """Listed on ``day`` by the dates the data carries; undated listings hold while published."""
    if not entity.listings:
        return True
    return any(lst.in_force(day) for lst in entity.listings)
