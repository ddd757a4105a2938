"""Ongoing monitoring: keep a set of records screened as the lists change.

>>> monitor = Monitor(Store.open())
>>> monitor.add_file(Path("customers.csv"))
>>> report = monitor.run()            # after every list import; only what changed
>>> report.alerts                     # new, cleared and changed potential matches

The match state is one row per (record, listed entity) scoring at or above
the threshold. A run compares the entities in force now with those of the
last run (a snapshot of id -> content hash) and re-screens only

* new and changed entities against all monitored records, by looking them up
  in an index of the records (:class:`~clearance.monitoring.keys.KeyIndex`,
  persisted and updated as records are added and removed);
* new and changed records against all entities in force (forward lookup);

while removed entities (and entities whose listing period ended) clear their
matches. Both lookups apply the same pair-local candidate rule and the same
scorer with the same word statistics, so the state after an incremental run
equals the state a full re-screen computes (``tests/monitoring`` checks this
on real consecutive SDN versions).

Word statistics: the Screener weighs words by their frequency among the
listed names in force, which shifts a little with every version and would
change every score. Monitoring freezes them (and the key weights of the
candidate rule) at the start of a monitoring epoch, the first run or a run
with ``full=True``, so that unchanged pairs keep their exact score.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from clearance.errors import NotFoundError
from clearance.matching import DEFAULT_CONFIG, MatchConfig, PreparedEntity, Query, prepare_entity
from clearance.matching.scorer import PreparedQuery, evaluate, prepare_query
from clearance.matching.vocabulary import PARTICLES
from clearance.model import Entity
from clearance.model.dates import to_iso_day
from clearance.monitoring.keys import KeyIndex, KeyWeights, blocking_keys
from clearance.monitoring.records import MonitoredRecord, query_from_data, read_monitor_file
from clearance.monitoring.schema import (
    monitor_alert,
    monitor_match,
    monitor_record,
    monitor_run,
    monitor_state,
)
from clearance.screening.files import RecordError
from clearance.settings import get_settings
from clearance.store import Store
from clearance.store.schema import entity_blob, entity_span

_CHUNK = 5000
REFRESH = 0.2
"""A new monitoring epoch (fresh statistics, full run) when more than this share of the
entities in force changed since the last run, e.g. when a new list is imported."""
_DEFAULT = object()

Pair = tuple[str, str]
"""(record id, entity id)"""


@dataclass(frozen=True, slots=True)
class Listed:
    """An entity in force at a run: its content hash and where it comes from."""

    hash: str
    source: str
    seq: int
    name: str


@dataclass(slots=True)
class Alert:
    """One line of a change report."""

    kind: str
    """new | cleared | changed"""
    reason: str
    """new: entry_added, entry_changed, record_added, record_changed, rescreen;
    cleared: delisted, below_threshold; changed: entry_changed, score_changed"""
    record_id: str
    record_name: str
    entity_id: str
    entity_name: str
    source: str
    old_score: float | None
    new_score: float | None
    list_seq: int | None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass
class RunReport:
    """What one re-screening did and found."""

    run_id: int
    started_at: str
    as_of: str
    kind: str
    versions: dict[str, int]
    records_screened: int
    entities_screened: int
    pairs_scored: int
    seconds: float
    alerts: list[Alert] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(a.kind == kind for a in self.alerts)

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "started_at": self.started_at, "as_of": self.as_of,
                "kind": self.kind, "versions": self.versions,
                "records_screened": self.records_screened,
                "entities_screened": self.entities_screened, "pairs_scored": self.pairs_scored,
                "new": self.count("new"), "cleared": self.count("cleared"),
                "changed": self.count("changed"), "seconds": self.seconds,
                "alerts": [a.to_dict() for a in self.alerts]}


@dataclass
class AddResult:
    """What ``add`` did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RecordError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "errors": [{"line": e.line, "message": e.message} for e in self.errors]}


class WordWeights:
    """The Screener's word weight (``NameIndex.word_weight``) over frozen statistics."""

    def __init__(self, word_df: dict[str, int], size: int) -> None:
        self.word_df = word_df
        self.size = size
        self._cache: dict[str, float] = {}

    def __call__(self, word: str) -> float:
        cached = self._cache.get(word)
        if cached is None:
            cached = self._cache[word] = self._weight(word)
        return cached

    def _weight(self, word: str) -> float:
        # Same formula as clearance.matching.index.NameIndex._word_weight.
        if word in PARTICLES:
            return 0.3
        df = self.word_df.get(word, 0)
        idf = math.log((self.size + 1) / (df + 1))
        weight = min(1.0, 0.25 + idf / 9.0)
        return min(weight, 0.5) if len(word) <= 2 else weight


@dataclass
class Epoch:
    """The frozen statistics of a monitoring epoch."""

    id: str
    words: WordWeights
    keys: KeyWeights


class Monitor:
    """The monitored records of one store, their match state and its re-screening."""

    def __init__(self, store: Store, config: MatchConfig = DEFAULT_CONFIG,
                 threshold: float | None = None, cache_dir: Path | object | None = _DEFAULT
                 ) -> None:
        self.store = store
        self.engine = store.engine
        self.config = config
        self.threshold = config.threshold if threshold is None else threshold
        folder = get_settings().home / "cache" if cache_dir is _DEFAULT else cache_dir
        tag = hashlib.sha256(str(self.engine.url).encode()).hexdigest()[:12]
        self.index_dir = Path(folder) / f"monitor-{tag}" \
            if isinstance(folder, (str, Path)) else None
        self._epoch: Epoch | None = None
        self._index: KeyIndex | None = None
        self._index_gen: int | None = None
        self._prepared: dict[str, PreparedEntity] = {}
        self._intervals: dict[str, list[list[str]] | None] | None = None
        self._list_index: tuple[tuple[str, ...], KeyIndex, list[str]] | None = None
        self.last_timings: dict[str, float] = {}

    # -- records -------------------------------------------------------------

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(monitor_record)).scalar()
                       or 0)

    def add_file(self, path: Path, id_col: str | None = None) -> AddResult:
        """Register (or update) every record of a CSV or JSON-lines file."""
        errors: list[RecordError] = []

        def records() -> Iterator[MonitoredRecord]:
            for _line, item in read_monitor_file(Path(path), id_col):
                if isinstance(item, RecordError):
                    errors.append(item)
                else:
                    yield item

        result = self.add(records())
        result.errors = errors
        return result

    def add(self, records: Iterable[MonitoredRecord]) -> AddResult:
        """Register records; a known id with a new fingerprint is updated and re-screened."""
        result = AddResult()
        now = _now()
        track = self.epoch() is not None  # else the index is built at the first run
        retired: list[int] = []
        fresh: list[tuple[int, Query]] = []
        changed = False
        with self.engine.begin() as conn:
            next_row = int(conn.execute(select(func.max(monitor_record.c.row))).scalar() or 0) + 1
            for batch in _last_wins(records):
                known = {r.id: (r.row, r.fingerprint) for r in conn.execute(
                    select(monitor_record.c.id, monitor_record.c.row,
                           monitor_record.c.fingerprint)
                    .where(monitor_record.c.id.in_([rec.id for rec in batch])))}
                inserts = []
                for rec in batch:
                    fp = rec.fingerprint
                    old = known.get(rec.id)
                    if old is not None and old[1] == fp:
                        result.unchanged += 1
                        continue
                    values = {"row": next_row, "name": rec.query.name,
                              "data": orjson.dumps(rec.data).decode(), "fingerprint": fp,
                              "updated_at": now, "dirty": True}
                    if track:
                        fresh.append((next_row, rec.query))
                    next_row += 1
                    changed = True
                    if old is None:
                        inserts.append({"id": rec.id, "added_at": now, **values})
                        result.added += 1
                    else:
                        conn.execute(update(monitor_record)
                                     .where(monitor_record.c.id == rec.id).values(**values))
                        retired.append(old[0])
                        result.updated += 1
                if inserts:
                    conn.execute(insert(monitor_record), inserts)
            if changed:
                self._bump_generation(conn)
        if changed and track:
            self._update_index(retired, fresh)
        return result

    def remove(self, ids: Iterable[str]) -> int:
        """Stop monitoring these records; their matches are dropped. Returns how many."""
        rows: list[int] = []
        with self.engine.begin() as conn:
            for batch in _batches(iter(ids), _CHUNK):
                found = conn.execute(select(monitor_record.c.row)
                                     .where(monitor_record.c.id.in_(batch))).scalars().all()
                rows.extend(found)
                conn.execute(delete(monitor_record).where(monitor_record.c.id.in_(batch)))
                conn.execute(delete(monitor_match).where(monitor_match.c.record_id.in_(batch)))
            if rows:
                self._bump_generation(conn)
        if rows:
            self._update_index(rows, [])
        return len(rows)

    def records(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The monitored records with their fingerprint and current number of matches."""
        counts = (select(monitor_match.c.record_id, func.count().label("matches"))
                  .group_by(monitor_match.c.record_id).subquery())
        query = (select(monitor_record.c.id, monitor_record.c.name, monitor_record.c.data,
                        monitor_record.c.fingerprint, monitor_record.c.added_at,
                        monitor_record.c.updated_at, monitor_record.c.dirty,
                        func.coalesce(counts.c.matches, 0).label("matches"))
                 .outerjoin(counts, counts.c.record_id == monitor_record.c.id)
                 .order_by(monitor_record.c.id))
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [{"id": r.id, "name": r.name, "data": orjson.loads(r.data),
                     "fingerprint": r.fingerprint, "added_at": r.added_at,
                     "updated_at": r.updated_at, "dirty": bool(r.dirty), "matches": r.matches}
                    for r in conn.execute(query)]

    def matches(self) -> dict[Pair, float]:
        """The current match state: (record id, entity id) -> score."""
        with self.engine.connect() as conn:
            return {(r.record_id, r.entity_id): r.score for r in conn.execute(
                select(monitor_match.c.record_id, monitor_match.c.entity_id,
                       monitor_match.c.score))}

    # -- re-screening --------------------------------------------------------

    def run(self, as_of: str | None = None, full: bool = False) -> RunReport:
        """Re-screen what changed since the last run (everything with ``full``)."""
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        started = _now()
        day = to_iso_day(as_of)
        universe, versions = self.universe(day)
        timings["universe"] = time.perf_counter() - t0
        with self.engine.connect() as conn:
            previous = _load_state(conn, "universe")
        old_universe: dict[str, Listed] = (
            {k: Listed(*v) for k, v in orjson.loads(previous).items()} if previous else {})
        old = self._load_matches()
        dirty = self._dirty_records()
        total_records = self.count()
        records: dict[str, tuple[int, str, PreparedQuery]] = {}
        names: dict[str, str] = {}
        changed_entities = [e for e, v in universe.items()
                            if e not in old_universe or old_universe[e].hash != v.hash]
        removed_entities = [e for e in old_universe if e not in universe]
        pairs_scored = 0
        kind = "incremental"
        epoch = self.epoch()
        if epoch is None or full or previous is None \
                or len(changed_entities) + len(removed_entities) > REFRESH * len(old_universe):
            # A new epoch: first run, asked for, or the lists changed too much (a new
            # list imported) for the frozen statistics to stand.
            self._new_epoch(universe)
            kind = "full"
        elif len(dirty) > 2 * max(len(universe), 1) \
                or len(changed_entities) > 4 * max(total_records, 1):
            kind = "rebuild"
        if kind != "incremental":
            if total_records <= len(universe):
                records = self._all_records()
                new_pairs, pairs_scored = self._forward(list(records), universe, records)
            else:
                index = self._record_index()
                new_pairs, pairs_scored = self._reverse(list(universe), universe, index, set(),
                                                        names)
            affected_records: set[str] = set()
            affected_entities = set(universe) | set(old_universe)
            screened_records, screened_entities = total_records, len(universe)
            replace_all = True
        else:
            for rid, row, data in dirty:
                records[rid] = (row, data["name"], prepare_query(query_from_data(rid, data)))
            affected_records = set(records)
            forward, n1 = self._forward(list(records), universe, records)
            t1 = time.perf_counter()
            index = self._record_index() if changed_entities else None
            timings["index"] = time.perf_counter() - t1
            exclude = {row for row, _, _ in records.values()}
            reverse, n2 = (self._reverse(changed_entities, universe, index, exclude, names)
                           if index is not None else ({}, 0))
            new_pairs = {**forward, **reverse}
            pairs_scored = n1 + n2
            affected_entities = set(changed_entities) | set(removed_entities)
            screened_records, screened_entities = len(affected_records), len(changed_entities)
            replace_all = False
        timings["screen"] = time.perf_counter() - t0 - timings["universe"]
        names.update((rid, rec[1]) for rid, rec in records.items())
        alerts = self._diff(old, new_pairs, affected_records, affected_entities, replace_all,
                            universe, old_universe, names, {r for r, _, _ in dirty})
        seconds = round(time.perf_counter() - t0, 3)
        with self.engine.begin() as conn:
            run_id = conn.execute(insert(monitor_run).values(
                started_at=started, as_of=day, kind=kind, versions=orjson.dumps(versions).decode(),
                records_screened=screened_records, entities_screened=screened_entities,
                pairs_scored=pairs_scored, new=sum(a.kind == "new" for a in alerts),
                cleared=sum(a.kind == "cleared" for a in alerts),
                changed=sum(a.kind == "changed" for a in alerts), seconds=seconds,
            )).inserted_primary_key[0]
            self._write_matches(conn, run_id, new_pairs, affected_records, affected_entities,
                                replace_all, universe)
            if alerts:
                for batch in _batches(iter(alerts), _CHUNK):
                    conn.execute(insert(monitor_alert),
                                 [{"run_id": run_id, **a.to_dict()} for a in batch])
            if dirty:
                for batch in _batches(iter([r for r, _, _ in dirty]), _CHUNK):
                    conn.execute(update(monitor_record).where(monitor_record.c.id.in_(batch))
                                 .values(dirty=False))
            _save_state(conn, "universe", orjson.dumps(
                {k: [v.hash, v.source, v.seq, v.name] for k, v in universe.items()}))
            _save_state(conn, "intervals", orjson.dumps(self._intervals or {}))
        timings["total"] = time.perf_counter() - t0
        self.last_timings = timings
        return RunReport(run_id, started, day, kind, versions, screened_records,
                         screened_entities, pairs_scored, seconds, alerts)

    def full_state(self, as_of: str | None = None) -> dict[Pair, float]:
        """The match state a full re-screen computes now, record by record; writes nothing.

        The reference for the incremental runs: every monitored record looked up
        in an index of the entities in force and scored, with the epoch's
        statistics.
        """
        universe, _ = self.universe(to_iso_day(as_of))
        if self.epoch() is None:
            self._new_epoch(universe)
        records = self._all_records()
        pairs, _ = self._forward(list(records), universe, records)
        return {k: v[0] for k, v in pairs.items()}

    def _all_records_sample(self, limit: int) -> dict[str, tuple[int, str, PreparedQuery]]:
        """Some records, spread over the set (for timing a full re-screen)."""
        return self._all_records(limit)

    def _all_records(self, limit: int | None = None
                     ) -> dict[str, tuple[int, str, PreparedQuery]]:
        records: dict[str, tuple[int, str, PreparedQuery]] = {}
        query = select(monitor_record.c.id, monitor_record.c.row, monitor_record.c.name,
                       monitor_record.c.data)
        if limit is not None:
            query = query.order_by(func.random()).limit(limit)
        with self.engine.connect() as conn:
            for rid, row, name, data in conn.execute(query):
                records[rid] = (row, name, prepare_query(query_from_data(rid,
                                                                         orjson.loads(data))))
        return records

    # -- the entities in force -------------------------------------------------

    def universe(self, day: str) -> tuple[dict[str, Listed], dict[str, int]]:
        """The entities restricting on ``day`` (listing in force), by id; the versions used."""
        if self._intervals is None:
            with self.engine.connect() as conn:
                blob = _load_state(conn, "intervals")
            self._intervals = orjson.loads(blob) if blob else {}
        intervals = self._intervals
        out: dict[str, Listed] = {}
        versions: dict[str, int] = {}
        with self.engine.connect() as conn:
            for source in self.store.sources():
                version = self.store.version_as_of(source, day)
                if version is None:
                    continue
                versions[source] = version.seq
                rows = conn.execute(
                    select(entity_span.c.entity_id, entity_span.c.hash, entity_span.c.name)
                    .where(and_(entity_span.c.source == source,
                                entity_span.c.start_seq <= version.seq,
                                or_(entity_span.c.end_seq.is_(None),
                                    entity_span.c.end_seq > version.seq)))).all()
                missing = list({r.hash for r in rows if r.hash not in intervals})
                for batch in _batches(iter(missing), _CHUNK):
                    for h, data in conn.execute(select(entity_blob.c.hash, entity_blob.c.data)
                                                .where(entity_blob.c.hash.in_(batch))):
                        intervals[h] = _intervals_of(Entity.from_json(data))
                for r in rows:
                    if _in_force(intervals[r.hash], day):
                        out[r.entity_id] = Listed(r.hash, source, version.seq, r.name)
        return out, versions

    def _entities(self, ids: Iterable[str], universe: dict[str, Listed]
                  ) -> dict[str, PreparedEntity]:
        hashes = {e: universe[e].hash for e in ids}
        missing = list({h for h in hashes.values() if h not in self._prepared})
        with self.engine.connect() as conn:
            for batch in _batches(iter(missing), _CHUNK):
                for h, data in conn.execute(select(entity_blob.c.hash, entity_blob.c.data)
                                            .where(entity_blob.c.hash.in_(batch))):
                    self._prepared[h] = prepare_entity(Entity.from_json(data))
        if len(self._prepared) > 4 * max(len(universe), 10000):
            live = {v.hash for v in universe.values()}
            self._prepared = {h: p for h, p in self._prepared.items() if h in live}
        return {e: self._prepared[h] for e, h in hashes.items()}

    # -- epoch ---------------------------------------------------------------

    def epoch(self) -> Epoch | None:
        if self._epoch is None:
            with self.engine.connect() as conn:
                words = _load_state(conn, "epoch")
                keys = _load_state(conn, "key_weights")
            if words is None or keys is None:
                return None
            data = orjson.loads(words)
            self._epoch = Epoch(data["id"], WordWeights(data["word_df"], data["size"]),
                                KeyWeights.from_bytes(keys))
        return self._epoch

    def _new_epoch(self, universe: dict[str, Listed]) -> Epoch:
        prepared = self._entities(universe, universe)
        word_df: dict[str, int] = {}
        size = 0
        keys = []
        for p in prepared.values():
            for form, _ in p.names:
                size += 1
                keys.append(blocking_keys(form))
                for token in set(form.tokens):
                    word_df[token] = word_df.get(token, 0) + 1
        epoch_id = hashlib.sha256(orjson.dumps(
            sorted((e, v.hash) for e, v in universe.items()))).hexdigest()[:16]
        epoch = Epoch(epoch_id, WordWeights(word_df, size), KeyWeights.from_names(keys))
        with self.engine.begin() as conn:
            _save_state(conn, "epoch", orjson.dumps({"id": epoch_id, "word_df": word_df,
                                                     "size": size}))
            _save_state(conn, "key_weights", epoch.keys.to_bytes())
        self._epoch = epoch
        self._index = None
        self._list_index = None
        return epoch

    # -- lookups -------------------------------------------------------------

    def _score(self, pq: PreparedQuery, pe: PreparedEntity) -> float | None:
        epoch = self._epoch
        assert epoch is not None
        outcome = evaluate(pq, pe, self.config, epoch.words)
        if outcome is None or outcome.score < self.threshold:
            return None
        return outcome.score

    def _forward(self, rids: list[str], universe: dict[str, Listed],
                 records: dict[str, tuple[int, str, PreparedQuery]]
                 ) -> tuple[dict[Pair, tuple[float, str]], int]:
        """Records against every entity in force."""
        if not rids:
            return {}, 0
        epoch = self._epoch
        assert epoch is not None
        ids, index = self._entity_index(universe)
        prepared = self._entities(ids, universe)
        out: dict[Pair, tuple[float, str]] = {}
        scored = 0
        for rid in rids:
            pq = records[rid][2]
            owners = index.candidates([blocking_keys(f) for f in pq.forms], epoch.keys)
            for owner in owners.tolist():
                eid = ids[owner]
                scored += 1
                score = self._score(pq, prepared[eid])
                if score is not None:
                    out[(rid, eid)] = (score, universe[eid].hash)
        return out, scored

    def _reverse(self, eids: list[str], universe: dict[str, Listed], index: KeyIndex,
                 exclude_rows: set[int], names: dict[str, str]
                 ) -> tuple[dict[Pair, tuple[float, str]], int]:
        """Entities against every monitored record (but those in ``exclude_rows``).

        In slices of entities, so that only the candidate records of one slice are
        prepared and held at a time; ``names`` receives the names of matched records.
        """
        epoch = self._epoch
        assert epoch is not None
        prepared = self._entities(eids, universe)
        excluded = np.fromiter(exclude_rows, dtype=np.int64)
        out: dict[Pair, tuple[float, str]] = {}
        scored = 0
        for part in _batches(iter(eids), 1000):
            wanted: dict[str, np.ndarray] = {}
            for eid in part:
                owners = index.candidates([blocking_keys(f) for f, _ in prepared[eid].names],
                                          epoch.keys)
                if len(excluded) and len(owners):
                    owners = owners[~np.isin(owners, excluded)]
                if len(owners):
                    wanted[eid] = owners
            if not wanted:
                continue
            by_row = self._records_by_row(np.unique(np.concatenate(list(wanted.values()))))
            for eid, owners in wanted.items():
                pe = prepared[eid]
                for row in owners.tolist():
                    rec = by_row.get(row)
                    if rec is None:
                        continue
                    scored += 1
                    score = self._score(rec[2], pe)
                    if score is not None:
                        out[(rec[0], eid)] = (score, universe[eid].hash)
                        names[rec[0]] = rec[1]
        return out, scored

    def _records_by_row(self, rows: np.ndarray) -> dict[int, tuple[str, str, PreparedQuery]]:
        out: dict[int, tuple[str, str, PreparedQuery]] = {}
        with self.engine.connect() as conn:
            for batch in _batches(iter(rows.tolist()), _CHUNK):
                for rid, row, name, data in conn.execute(
                        select(monitor_record.c.id, monitor_record.c.row, monitor_record.c.name,
                               monitor_record.c.data).where(monitor_record.c.row.in_(batch))):
                    out[row] = (rid, name, prepare_query(query_from_data(rid, orjson.loads(data))))
        return out

    def _entity_index(self, universe: dict[str, Listed]) -> tuple[list[str], KeyIndex]:
        """An index of the entities in force (kept while they do not change)."""
        epoch = self._epoch
        assert epoch is not None
        ids = sorted(universe)
        stamp = tuple(f"{e}:{universe[e].hash}" for e in ids)
        if self._list_index is not None and self._list_index[0] == stamp:
            return self._list_index[2], self._list_index[1]
        prepared = self._entities(ids, universe)
        index = KeyIndex()
        index.add(((i, blocking_keys(f)) for i, e in enumerate(ids)
                   for f, _ in prepared[e].names), epoch.keys)
        self._list_index = (stamp, index, ids)
        return ids, index

    # -- the record index ----------------------------------------------------

    def _record_index(self) -> KeyIndex:
        """The index of the monitored records: in memory, on disk, or rebuilt from the store."""
        epoch = self._epoch
        assert epoch is not None
        with self.engine.connect() as conn:
            gen = _generation(conn)
        if self._index is not None and self._index_gen == gen:
            return self._index
        if self.index_dir is not None:
            loaded = KeyIndex.load(self.index_dir)
            if loaded is not None and loaded[1].get("epoch") == epoch.id \
                    and loaded[1].get("gen") == gen:
                self._index, self._index_gen = loaded[0], gen
                return loaded[0]
        index = KeyIndex()
        with self.engine.connect() as conn:
            result = conn.execute(select(monitor_record.c.row, monitor_record.c.id,
                                         monitor_record.c.data)
                                  .execution_options(yield_per=_CHUNK))
            for part in result.partitions(20 * _CHUNK):
                index.add(_record_names(part), epoch.keys)
        self._index, self._index_gen = index, gen
        self._save_index()
        return index

    def _update_index(self, retired: list[int], fresh: list[tuple[int, Query]]) -> None:
        """Keep the record index in step with an add or remove, if it exists."""
        epoch = self.epoch()
        if epoch is None:
            return
        index = self._index
        if index is None and self.index_dir is not None:
            loaded = KeyIndex.load(self.index_dir)
            if loaded is not None and loaded[1].get("epoch") == epoch.id:
                index, self._index_gen = loaded[0], int(loaded[1].get("gen", -1))  # type: ignore[call-overload]
        with self.engine.connect() as conn:
            gen = _generation(conn)
        if index is None or self._index_gen != gen - 1:
            self._index = None  # stale: rebuilt from the store when next needed
            return
        index.retire(retired)
        index.add(((row, blocking_keys(f)) for row, q in fresh
                   for f in prepare_query(q).forms), epoch.keys)
        if index.dead_share() > 0.25:
            index.compact()
        self._index, self._index_gen = index, gen
        self._save_index()

    def _save_index(self) -> None:
        if self.index_dir is not None and self._index is not None and self._epoch is not None:
            self._index.save(self.index_dir, {"epoch": self._epoch.id, "gen": self._index_gen})

    # -- state ---------------------------------------------------------------

    def _dirty_records(self) -> list[tuple[str, int, dict[str, Any]]]:
        with self.engine.connect() as conn:
            return [(r.id, r.row, orjson.loads(r.data)) for r in conn.execute(
                select(monitor_record.c.id, monitor_record.c.row, monitor_record.c.data)
                .where(monitor_record.c.dirty.is_(True)))]

    def _load_matches(self) -> dict[Pair, dict[str, Any]]:
        with self.engine.connect() as conn:
            return {(r["record_id"], r["entity_id"]): dict(r)
                    for r in conn.execute(select(monitor_match)).mappings()}

    def _diff(self, old: dict[Pair, dict[str, Any]], new: dict[Pair, tuple[float, str]],
              affected_records: set[str], affected_entities: set[str], replace_all: bool,
              universe: dict[str, Listed], old_universe: dict[str, Listed],
              known_names: dict[str, str], dirty: set[str]) -> list[Alert]:
        def affected(pair: Pair) -> bool:
            return replace_all or pair[0] in affected_records or pair[1] in affected_entities

        names = dict(known_names)
        stale = {p for p in old if affected(p) and p not in new}
        needed = {p[0] for p in stale} - set(names)
        if needed:
            with self.engine.connect() as conn:
                for batch in _batches(iter(needed), _CHUNK):
                    names.update(conn.execute(select(monitor_record.c.id, monitor_record.c.name)
                                              .where(monitor_record.c.id.in_(batch))).all())
        alerts: list[Alert] = []
        for pair in sorted(stale):
            row = old[pair]
            gone = pair[1] not in universe
            alerts.append(Alert("cleared", "delisted" if gone else "below_threshold", pair[0],
                                names.get(pair[0], ""), pair[1], row["entity_name"],
                                row["source"], row["score"], None,
                                (universe.get(pair[1]) or old_universe.get(pair[1])
                                 or Listed("", "", row["list_seq"], "")).seq))
        for pair in sorted(new):
            score, content = new[pair]
            listed = universe[pair[1]]
            before = old.get(pair)
            if before is None:
                entry_new = pair[1] not in old_universe
                reason = ("record_added" if pair[0] in dirty else "rescreen") \
                    if not entry_new else "entry_added"
                if not entry_new and old_universe[pair[1]].hash != content:
                    reason = "entry_changed"
                alerts.append(Alert("new", reason, pair[0], names.get(pair[0], ""), pair[1],
                                    listed.name, listed.source, None, score, listed.seq))
            elif before["entity_hash"] != content:
                alerts.append(Alert("changed", "entry_changed", pair[0], names.get(pair[0], ""),
                                    pair[1], listed.name, listed.source, before["score"], score,
                                    listed.seq))
            elif before["score"] != score:
                alerts.append(Alert("changed", "score_changed", pair[0],
                                    names.get(pair[0], ""), pair[1], listed.name, listed.source,
                                    before["score"], score, listed.seq))
        return alerts

    def _write_matches(self, conn: Connection, run_id: int, new: dict[Pair, tuple[float, str]],
                       affected_records: set[str], affected_entities: set[str],
                       replace_all: bool, universe: dict[str, Listed]) -> None:
        if replace_all:
            conn.execute(delete(monitor_match))
        else:
            for batch in _batches(iter(affected_records), _CHUNK):
                conn.execute(delete(monitor_match).where(monitor_match.c.record_id.in_(batch)))
            for batch in _batches(iter(affected_entities), _CHUNK):
                conn.execute(delete(monitor_match).where(monitor_match.c.entity_id.in_(batch)))
        rows = [{"record_id": r, "entity_id": e, "source": universe[e].source,
                 "entity_name": universe[e].name, "entity_hash": h, "score": s,
                 "list_seq": universe[e].seq, "run_id": run_id}
                for (r, e), (s, h) in new.items()]
        for batch in _batches(iter(rows), _CHUNK):
            conn.execute(insert(monitor_match), batch)

    def _bump_generation(self, conn: Connection) -> None:
        _save_state(conn, "gen", str(_generation(conn) + 1).encode())

    # -- reports -------------------------------------------------------------

    def report(self, run_id: int | None = None) -> RunReport:
        """A stored run and its alerts (default: the last run)."""
        with self.engine.connect() as conn:
            query = select(monitor_run)
            query = query.where(monitor_run.c.id == run_id) if run_id is not None \
                else query.order_by(monitor_run.c.id.desc()).limit(1)
            run = conn.execute(query).mappings().first()
            if run is None:
                raise NotFoundError("no monitoring run" + (f" {run_id}" if run_id else " yet"))
            alerts = [Alert(**{k: r[k] for k in Alert.__slots__}) for r in conn.execute(
                select(monitor_alert).where(monitor_alert.c.run_id == run["id"])
                .order_by(monitor_alert.c.id)).mappings()]
        return RunReport(run["id"], run["started_at"], run["as_of"], run["kind"],
                         orjson.loads(run["versions"]), run["records_screened"],
                         run["entities_screened"], run["pairs_scored"], run["seconds"], alerts)

    def runs(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(
                select(monitor_run).order_by(monitor_run.c.id)).mappings()]


def _record_names(rows: Iterable[Any]) -> Iterator[tuple[int, np.ndarray]]:
    for row, rid, data in rows:
        for form in prepare_query(query_from_data(rid, orjson.loads(data))).forms:
            yield row, blocking_keys(form)


def _intervals_of(entity: Entity) -> list[list[str]] | None:
    """When the entity restricts: None if undated (while published), else active periods."""
    if not entity.listings:
        return None
    return [[lst.start or "", lst.end or "~"] for lst in entity.listings
            if lst.status == "active"]


def _in_force(periods: list[list[str]] | None, day: str) -> bool:
    if periods is None:
        return True
    return any(start <= day < end for start, end in periods)


def _generation(conn: Connection) -> int:
    value = _load_state(conn, "gen")
    return int(value) if value else 0


def _load_state(conn: Connection, key: str) -> bytes | None:
    return conn.execute(select(monitor_state.c.value).where(monitor_state.c.key == key)).scalar()


def _save_state(conn: Connection, key: str, value: bytes) -> None:
    conn.execute(delete(monitor_state).where(monitor_state.c.key == key))
    conn.execute(insert(monitor_state).values(key=key, value=value))


def _last_wins(records: Iterable[MonitoredRecord]) -> Iterator[list[MonitoredRecord]]:
    """Batches of records; a repeated id within a batch keeps only its last occurrence."""
    for batch in _batches(records, _CHUNK):
        yield list({rec.id: rec for rec in batch}.values())


def _batches(items: Iterator[Any] | Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
