"""The audit trail: an append-only, hash-chained record of every screening and decision.

>>> trail = AuditTrail(store.engine)
>>> trail.record_screening(channel="cli", actor="alice", query=query, versions=versions,
...                        threshold=0.7, results=results)
>>> trail.verify().ok
True

Appending takes the chain-head row with an UPDATE (a row lock on PostgreSQL,
the database write lock on SQLite), inserts the record and moves the head, in
one transaction: concurrent writers queue on that row, so no record is lost
and no two records share a predecessor. Pass ``conn=`` to append inside a
transaction of your own (the case updates of a screening do).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from clearance.audit.chain import AuditKey, canonical, record_hash
from clearance.audit.schema import GENESIS, audit_head, audit_record
from clearance.errors import ConfigError, TamperError
from clearance.settings import Settings, get_settings
from clearance.store.prepared import PreparedStatement
from clearance.store.writers import write_transaction

RESERVED_KINDS = frozenset({"purge"})
_MAX_LOOKUPS = 50


@dataclass(frozen=True)
class AuditRecord:
    """One record of the chain, as stored."""

    id: int
    seq: int
    kind: str
    recorded_at: str
    actor: str
    channel: str
    subject: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Problem:
    """Something wrong with the chain: where (record id and seq) and what."""

    kind: str
    """changed | deleted | inserted | reordered | head | checkpoint | key"""
    message: str
    seq: int | None = None
    record_id: int | None = None

    def describe(self) -> str:
        where = []
        if self.seq is not None:
            where.append(f"seq {self.seq}")
        if self.record_id is not None:
            where.append(f"record id {self.record_id}")
        return f"[{self.kind}] {', '.join(where) + ': ' if where else ''}{self.message}"


@dataclass
class VerifyReport:
    """What ``verify`` found: counts, the head, the checkpoint it started from, problems."""

    checked: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    head_seq: int = 0
    head_hash: str = GENESIS
    head_signed: bool = False
    key_id: str | None = None
    anchor: dict[str, Any] | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["problems"] = [{**asdict(p), "text": p.describe()} for p in self.problems]
        return data

    def lines(self) -> list[str]:
        span = (f"seq {self.first_seq}..{self.last_seq}" if self.first_seq is not None
                else "no records")
        out = [f"{'OK' if self.ok else 'TAMPERED'}: {self.checked} records checked ({span}); "
               f"head seq {self.head_seq} hash {self.head_hash[:16]}…, "
               f"signature {'valid' if self.head_signed else 'NOT valid'} "
               f"(key id {self.key_id})"]
        if self.anchor:
            out.append(f"chain continues from the signed purge checkpoint of seq "
                       f"{self.anchor['last_seq']} ({self.anchor['count']} records purged "
                       f"before {self.anchor['cutoff']})")
        out.extend(p.describe() for p in self.problems)
        return out


class AuditTrail:
    """The audit chain in one database (the store's engine)."""

    def __init__(self, engine: Engine, settings: Settings | None = None,
                 key: AuditKey | None = None) -> None:
        self.engine = engine
        self.settings = settings or get_settings()
        self._key = key

    @property
    def key(self) -> AuditKey:
        if self._key is None:
            self._key = AuditKey.load(self.settings)
        return self._key

    def default_actor(self) -> str:
        return self.settings.actor or _os_user()

    # -- appending -----------------------------------------------------------

    def record(self, kind: str, payload: dict[str, Any], *, actor: str | None = None,
               channel: str = "python", subject: str | None = None,
               conn: Connection | None = None, wait: bool = True) -> AuditRecord:
        """Append one record of ``kind`` (e.g. "export_check") with a JSON-able ``payload``.

        ``wait=False``: raise :class:`~clearance.store.writers.WriterBusy` rather than wait
        for another writer of a SQLite file (see ``write_transaction``)."""
        if kind in RESERVED_KINDS:
            raise ConfigError(f"the audit record kind {kind!r} is reserved")
        if not kind or len(kind) > 40:
            raise ConfigError("an audit record kind is 1 to 40 characters")
        return self._append(kind, payload, actor or self.default_actor(), channel, subject,
                            conn, wait)

    def record_screening(self, *, channel: str, actor: str | None, query: Any,
                         versions: Iterable[Any], threshold: float, results: Iterable[Any],
                         normalised: dict[str, Any] | None = None, as_of: str | None = None,
                         subject: str | None = None, alerts: list[dict[str, Any]] | None = None,
                         extra: dict[str, Any] | None = None, conn: Connection | None = None
                         ) -> AuditRecord:
        """One screening: input as given and normalised, list versions, threshold, results.

        ``query`` is a :class:`clearance.matching.Query` (or a dict); ``results``
        are ``ScreeningResult`` objects (or their dicts); ``versions`` the list
        versions in force (``Version`` or dicts with source, seq, sha256).
        """
        payload = screening_payload(query, versions, threshold, results, normalised, as_of,
                                    alerts, extra)
        return self.append_screening(payload, channel=channel, actor=actor, subject=subject,
                                     conn=conn)

    def append_screening(self, payload: dict[str, Any], *, channel: str, actor: str | None,
                         subject: str | None = None, conn: Connection | None = None
                         ) -> AuditRecord:
        """Append a payload made by :func:`screening_payload` (made outside the writer lock,
        so that concurrent writers wait only for the insert itself)."""
        return self._append("screening", payload, actor or self.default_actor(), channel,
                            subject, conn)

    def record_batch(self, *, channel: str, actor: str | None, counts: dict[str, int],
                     hits: list[dict[str, Any]], versions: Iterable[Any], threshold: float,
                     input_name: str | None = None, input_sha256: str | None = None,
                     output_name: str | None = None, output_sha256: str | None = None,
                     as_of: str | None = None, extra: dict[str, Any] | None = None,
                     conn: Connection | None = None) -> AuditRecord:
        """One batch run (a file): its input and output digests, counts, and every hit.

        ``hits`` are ``{"id": record id, "query": ..., "results": [...]}`` for the
        records with a result at or above the threshold.
        """
        payload: dict[str, Any] = {
            "input": {"name": input_name, "sha256": input_sha256},
            "output": {"name": output_name, "sha256": output_sha256},
            "as_of": as_of, "versions": [version_ref(v) for v in versions],
            "threshold": threshold, "counts": counts, "hits": hits,
        }
        if extra:
            payload.update(extra)
        return self._append("batch", payload, actor or self.default_actor(), channel, None,
                            conn)

    def _append(self, kind: str, payload: dict[str, Any], actor: str, channel: str,
                subject: str | None, conn: Connection | None, wait: bool = True
                ) -> AuditRecord:
        if conn is None:
            with write_transaction(self.engine, wait) as own:
                return self._append(kind, payload, actor, channel, subject, own)
        seq, prev = _lock_head(conn, self.key)
        return self._write(conn, seq, prev, kind, payload, actor, channel, subject)

    def _write(self, conn: Connection, seq: int, prev: str, kind: str, payload: dict[str, Any],
               actor: str, channel: str, subject: str | None) -> AuditRecord:
        row = {"seq": seq, "kind": kind, "recorded_at": _now(), "actor": actor[:255],
               "channel": channel[:40], "subject": subject[:255] if subject else None,
               "payload": canonical(payload).decode("utf-8"), "prev_hash": prev}
        digest = record_hash(row)
        key = self.key
        params = {**{"r_" + k: v for k, v in row.items()}, "r_hash": digest,
                  "head_hash": digest, "head_key_id": key.key_id,
                  "head_mac": key.sign("head", seq, digest)}
        if conn.dialect.name == "postgresql":
            record_id = _INSERT_AND_MOVE_PG.execute(conn, params).fetchone()[0]
        else:
            record_id = _INSERT_RECORD.execute(conn, params).lastrowid
            _MOVE_HEAD.execute(conn, params)
        return AuditRecord(record_id, seq, kind, row["recorded_at"], row["actor"],
                           row["channel"], row["subject"], orjson.loads(row["payload"]), prev,
                           digest)

    # -- reading -------------------------------------------------------------

    def records(self, start: str | None = None, end: str | None = None, kind: str | None = None,
                subject: str | None = None, limit: int | None = None) -> Iterator[AuditRecord]:
        """Records in chain order, optionally from ``start`` (incl.) to ``end`` (excl.)."""
        query = sa.select(audit_record).order_by(audit_record.c.seq)
        if start:
            query = query.where(audit_record.c.recorded_at >= start)
        if end:
            query = query.where(audit_record.c.recorded_at < end)
        if kind:
            query = query.where(audit_record.c.kind == kind)
        if subject:
            query = query.where(audit_record.c.subject == subject)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execution_options(stream_results=True, yield_per=500).execute(query)
            for row in rows.mappings():
                yield _record(row)

    def get(self, seq: int) -> AuditRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(audit_record).where(audit_record.c.seq == seq)
                               ).mappings().first()
        return _record(row) if row else None

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(audit_record))
                       .scalar() or 0)

    # -- verifying -----------------------------------------------------------

    def verify(self) -> VerifyReport:
        """Recompute every hash and link, check the signed head and checkpoints.

        Reads only: a missing key file is AuditKeyMissingError, never a new key (which
        would make the writers refuse to append until the original is put back)."""
        key = self._key or AuditKey.load(self.settings, create=False)
        report = VerifyReport(key_id=key.key_id)
        with self.engine.connect() as conn:
            head = conn.execute(sa.select(audit_head).where(audit_head.c.id == 1)
                                ).mappings().first()
            if head is None:
                report.problems.append(Problem("head", "the chain-head row is missing"))
                head = {"seq": 0, "hash": GENESIS, "key_id": None, "mac": None}
            report.head_seq, report.head_hash = int(head["seq"]), head["hash"]
            _check_head_signature(report, head, key)
            first = conn.execute(sa.select(sa.func.min(audit_record.c.seq))).scalar()
            walk = _Walk(report, key, 1, GENESIS)
            if first is not None and first > 1:
                anchor = _anchor(conn, int(first), key, report)
                # Without a valid checkpoint the gap is reported once, here; the walk
                # then starts at the first record left, whose predecessor is unknown.
                walk.expected, walk.prev = int(first), anchor["last_hash"] if anchor else None
            # The chain is checked up to the head as read before the walk; records appended
            # meanwhile are left for the next run. A record beyond a head read *after* it
            # was committed cannot come from clearance (head and record move together).
            walk.run(conn, upto=report.head_seq)
            beyond = conn.execute(sa.select(audit_record.c.seq, audit_record.c.id)
                                  .where(audit_record.c.seq > report.head_seq)
                                  .order_by(audit_record.c.seq)).all()
            if beyond:
                later = conn.execute(sa.select(audit_head.c.seq).where(audit_head.c.id == 1)
                                     ).scalar() or 0
                forged = [(int(seq), rid) for seq, rid in beyond if int(seq) > int(later)]
                if forged:
                    what = (f"seq {forged[0][0]}" if len(forged) == 1
                            else f"seq {forged[0][0]}..{forged[-1][0]}")
                    report.problems.append(Problem(
                        "inserted", f"{what} lie(s) beyond the signed chain head (seq "
                                    f"{later}): appended outside clearance", forged[0][0],
                        forged[0][1]))
        if report.last_seq is None and report.head_seq > (report.anchor or {}).get("last_seq", 0):
            report.problems.append(Problem(
                "deleted", f"the head says seq {report.head_seq} but no record is left"))
        elif report.last_seq is not None:
            moved = walk.prev_row is not None and walk.prev_row["id"] in walk.reordered
            _check_tail(report, walk.prev, explained=moved)
        return report

    # -- retention -----------------------------------------------------------

    def purge(self, before: str | None = None, actor: str | None = None,
              force: bool = False) -> dict[str, Any]:
        """Delete the records older than ``before`` (default: now minus the retention).

        The chain must verify first (``force`` skips that: it would destroy the
        evidence of tampering). The purged span is summed up in a checkpoint
        record appended to the chain: first and last seq, the hash of the last
        purged record, how many, the cutoff, signed with the audit key. The
        remaining records then verify from that checkpoint.
        """
        cutoff = before or (datetime.now(UTC) - timedelta(
            days=365.25 * self.settings.audit_retention_years)).isoformat(timespec="seconds")
        if not force:
            report = self.verify()
            if not report.ok:
                raise TamperError("the audit chain does not verify; purging would destroy the "
                                  "evidence: " + "; ".join(p.describe()
                                                           for p in report.problems[:5]))
        with write_transaction(self.engine) as conn:
            seq, prev = _lock_head(conn, self.key)
            first = conn.execute(sa.select(sa.func.min(audit_record.c.seq))).scalar()
            keep = conn.execute(sa.select(sa.func.min(audit_record.c.seq))
                                .where(audit_record.c.recorded_at >= cutoff)).scalar()
            last = (int(keep) - 1) if keep is not None else seq - 1
            if first is None or last < int(first):
                conn.rollback()
                return {"purged": 0, "cutoff": cutoff}
            last_hash = conn.execute(sa.select(audit_record.c.hash)
                                     .where(audit_record.c.seq == last)).scalar_one()
            count = conn.execute(sa.delete(audit_record).where(audit_record.c.seq <= last)
                                 ).rowcount
            body = {"first_seq": int(first), "last_seq": last, "last_hash": last_hash,
                    "count": count, "cutoff": cutoff}
            key = self.key
            payload = {**body, "key_id": key.key_id, "mac": key.sign("checkpoint", body)}
            record = self._write(conn, seq, prev, "purge", payload,
                                 actor or self.default_actor(), "cli", None)
        return {"purged": count, **body, "checkpoint_seq": record.seq}


def normalise_query(query: Any) -> dict[str, Any]:
    """The query as the matcher saw it: name forms, country codes, dates, identifiers."""
    from clearance.matching import prepare_query

    pq = prepare_query(query)
    return {
        "names": [{"original": f.original, "script": f.script, "tokens": list(f.tokens),
                   "legal": list(f.legal), **({"han": f.han} if f.han else {})}
                  for f in pq.forms],
        "countries": sorted(pq.countries), "birth_dates": list(pq.dates),
        "identifiers": sorted(pq.ids),
    }


def version_ref(version: Any) -> dict[str, Any]:
    data = version.to_dict() if hasattr(version, "to_dict") else dict(version)
    return {k: data.get(k) for k in ("source", "seq", "sha256", "published")}


def screening_payload(query: Any, versions: Iterable[Any], threshold: float,
                      results: Iterable[Any], normalised: dict[str, Any] | None = None,
                      as_of: str | None = None, alerts: list[dict[str, Any]] | None = None,
                      extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The payload of a ``screening`` record (see :meth:`AuditTrail.record_screening`)."""
    given = query.to_dict() if hasattr(query, "to_dict") else dict(query)
    if normalised is None and hasattr(query, "names"):
        normalised = normalise_query(query)
    payload: dict[str, Any] = {
        "query": given, "normalised": normalised, "as_of": as_of,
        "versions": [version_ref(v) for v in versions], "threshold": threshold,
        "results": [result_ref(r) for r in results],
    }
    if alerts is not None:
        payload["alerts"] = alerts
    if extra:
        payload.update(extra)
    return payload


def result_ref(result: Any) -> dict[str, Any]:
    """A result as the audit keeps it: the entity, its content hash, score and explanation."""
    if hasattr(result, "to_dict"):
        data = result.to_dict()
        entity = getattr(result, "entity", None)
        if entity is not None:
            data["entity_hash"] = getattr(result, "entity_hash", "") or entity.content_hash()
    else:
        data = dict(result)
    keep = ("entity_id", "name", "schema", "source", "lists", "score", "match", "restricted",
            "entity_hash", "notes", "explanation")
    return {k: data[k] for k in keep if k in data}


# The statements of an append, built and compiled once (see clearance.store.prepared):
# building and running them through Core cost more than the database's work. Executed
# with a dict of the row and head values.
_TAKE_HEAD_STATEMENT = (audit_head.update().where(audit_head.c.id == 1)
                        .values(seq=audit_head.c.seq + 1)
                        .returning(audit_head.c.seq, audit_head.c.hash, audit_head.c.key_id))
_INSERT_STATEMENT = audit_record.insert().values(
    {c.name: sa.bindparam("r_" + c.name) for c in audit_record.c if c.name != "id"})
_MOVE_HEAD_STATEMENT = audit_head.update().where(audit_head.c.id == 1).values(
    hash=sa.bindparam("head_hash"), key_id=sa.bindparam("head_key_id"),
    mac=sa.bindparam("head_mac"))
_TAKE_HEAD = PreparedStatement(_TAKE_HEAD_STATEMENT)
_INSERT_RECORD = PreparedStatement(_INSERT_STATEMENT)
_MOVE_HEAD = PreparedStatement(_MOVE_HEAD_STATEMENT)
# PostgreSQL: one round trip, the INSERT running as a data-modifying CTE of the head UPDATE.
_INSERTED = _INSERT_STATEMENT.returning(audit_record.c.id).cte("ins")
_INSERT_AND_MOVE_PG = PreparedStatement(
    _MOVE_HEAD_STATEMENT.returning(sa.select(_INSERTED.c.id).scalar_subquery()))


def _lock_head(conn: Connection, key: AuditKey) -> tuple[int, str]:
    """Take the chain head (row lock / write lock) and reserve the next seq.

    A writer whose key is not the one that signed the head refuses to append (fail
    closed): two keys on one chain would leave a head nobody can fully verify.
    """
    row = _TAKE_HEAD.execute(conn).fetchone()
    if row is None:
        raise TamperError("the audit chain-head row is missing; run `clearance audit verify`")
    if row[2] is not None and row[2] != key.key_id:
        raise ConfigError(
            f"the audit chain is signed with key id {row[2]} but this process's audit key "
            f"({key.origin}) has id {key.key_id}: every writer must share the key "
            "(CLEARANCE_AUDIT_KEY or CLEARANCE_AUDIT_KEY_FILE)")
    return int(row[0]), str(row[1])


def _record(row: Any) -> AuditRecord:
    return AuditRecord(row["id"], int(row["seq"]), row["kind"], row["recorded_at"],
                       row["actor"], row["channel"], row["subject"],
                       orjson.loads(row["payload"]), row["prev_hash"], row["hash"])


def _check_head_signature(report: VerifyReport, head: Any, key: AuditKey) -> None:
    if int(head["seq"]) == 0 and head["mac"] is None:
        report.head_signed = True  # an empty chain: nothing to sign yet
        return
    if head["key_id"] and head["key_id"] != key.key_id:
        report.problems.append(Problem(
            "key", f"the head is signed with key id {head['key_id']} but the key in use "
                   f"({key.origin}) has id {key.key_id}: set CLEARANCE_AUDIT_KEY or "
                   "CLEARANCE_AUDIT_KEY_FILE to the key the writers use"))
        return
    report.head_signed = key.check(head["mac"], "head", int(head["seq"]), head["hash"])
    if not report.head_signed:
        report.problems.append(Problem(
            "head", "the chain head's signature is not valid: the head row was rewritten "
                    "without the audit key (records appended, removed or recomputed outside "
                    "clearance)", seq=int(head["seq"])))


def _anchor(conn: Connection, first: int, key: AuditKey, report: VerifyReport
            ) -> dict[str, Any] | None:
    """The signed purge checkpoint the surviving chain starts from, if there is one."""
    rows = conn.execute(sa.select(audit_record.c.seq, audit_record.c.id, audit_record.c.payload)
                        .where(audit_record.c.kind == "purge")
                        .order_by(audit_record.c.seq.desc()))
    for seq, record_id, text in rows:
        payload = orjson.loads(text)
        if payload.get("last_seq") != first - 1:
            continue
        body = {k: payload.get(k) for k in ("first_seq", "last_seq", "last_hash", "count",
                                            "cutoff")}
        if not key.check(payload.get("mac"), "checkpoint", body):
            report.problems.append(Problem(
                "checkpoint", f"the purge checkpoint covering seq {body['first_seq']}.."
                              f"{body['last_seq']} has no valid signature (forged, or signed "
                              "with another key)", seq=int(seq), record_id=record_id))
            return None
        report.anchor = body
        return body
    rows = conn.execute(sa.select(audit_record.c.payload)
                        .where(audit_record.c.kind == "purge")).scalars()
    covered = max((orjson.loads(p).get("last_seq") or 0 for p in rows), default=0)
    if covered:
        what = f"seq {covered + 1}" if covered + 1 == first - 1 else \
            f"seq {covered + 1}..{first - 1}"
        message = (f"{what} missing: deleted after the purge checkpoint that covers seq "
                   f"1..{covered}")
    else:
        message = (f"records with seq 1..{first - 1} are missing and no signed purge "
                   "checkpoint accounts for them")
    report.problems.append(Problem("deleted", message, seq=first))
    return None


@dataclass
class _Walk:
    """The state of a walk along the chain, so that it can go on past where it stopped."""

    report: VerifyReport
    key: AuditKey
    expected: int
    prev: str | None
    before_prev: str | None = None
    prev_row: dict[str, Any] | None = None
    reordered: set[int] = field(default_factory=set)
    lookups: list[int] = field(default_factory=lambda: [0])

    def run(self, conn: Connection, upto: int) -> None:
        """Check every record up to seq ``upto``, in seq order (streamed)."""
        query = (sa.select(audit_record).where(audit_record.c.seq <= upto)
                 .order_by(audit_record.c.seq))
        rows = conn.execution_options(stream_results=True, yield_per=1000).execute(query)
        for mapping in rows.mappings():
            self.check(conn, dict(mapping))

    def check(self, conn: Connection, row: dict[str, Any]) -> None:
        report, prev_row = self.report, self.prev_row
        seq, rid = int(row["seq"]), row["id"]
        report.checked += 1
        if report.first_seq is None:
            report.first_seq = seq
        report.last_seq = seq
        gap = seq != self.expected
        if seq > self.expected:
            what = (f"seq {self.expected}" if seq == self.expected + 1
                    else f"seq {self.expected}..{seq - 1}")
            report.problems.append(Problem(
                "deleted", f"{what} missing: record(s) deleted before this one", seq, rid))
        if record_hash(row) != row["hash"]:
            problem = _content_problem(conn, row, self.lookups)
            report.problems.append(problem)
            if problem.kind == "reordered":
                self.reordered.add(rid)
        if self.prev is not None and row["prev_hash"] != self.prev and not gap:
            link = _link_problem(conn, row, prev_row, self.before_prev, self.lookups)
            # A broken link next to a record already found renumbered says nothing new,
            # unless it shows the record before was slipped in (a forgery, well hashed).
            prev_moved = prev_row is not None and prev_row["id"] in self.reordered
            if (link.kind == "inserted" and not prev_moved) or not (
                    rid in self.reordered or prev_moved):
                report.problems.append(link)
        if row["kind"] == "purge":
            _check_checkpoint(row, self.key, report)
        self.before_prev, self.prev = self.prev, row["hash"]
        self.prev_row = row
        self.expected = seq + 1


def _content_problem(conn: Connection, row: dict[str, Any], lookups: list[int]) -> Problem:
    seq, rid = int(row["seq"]), row["id"]
    for candidate in _seq_candidates(conn, row, lookups):
        if record_hash({**row, "seq": candidate}) == row["hash"]:
            return Problem("reordered", f"written as seq {candidate}, now at seq {seq}: "
                                        "sequence numbers were changed", seq, rid)
    return Problem("changed", "its content no longer matches its hash: a field (actor, "
                              "channel, time, subject, kind or payload) was altered after "
                              "it was written", seq, rid)


def _seq_candidates(conn: Connection, row: dict[str, Any], lookups: list[int]) -> list[int]:
    seq = int(row["seq"])
    out = [seq - 2, seq - 1, seq + 1, seq + 2]
    owner = _owner(conn, row["prev_hash"], lookups)
    if owner is not None:
        out.insert(0, owner[1] + 1)
    return [c for c in out if c > 0 and c != seq]


def _link_problem(conn: Connection, row: dict[str, Any], prev_row: dict[str, Any] | None,
                  before_prev: str | None, lookups: list[int]) -> Problem:
    seq, rid = int(row["seq"]), row["id"]
    if prev_row is not None and before_prev is not None and row["prev_hash"] == before_prev:
        return Problem("inserted", f"record id {prev_row['id']} at seq {prev_row['seq']} was "
                                   f"inserted: seq {seq} was written right after seq "
                                   f"{int(prev_row['seq']) - 1}", int(prev_row["seq"]),
                       prev_row["id"])
    owner = _owner(conn, row["prev_hash"], lookups)
    if owner is not None and owner[1] != seq - 1:
        return Problem("reordered", f"it was written after record id {owner[0]}, which is now "
                                    f"at seq {owner[1]}, not at seq {seq - 1}", seq, rid)
    return Problem("changed", f"its prev_hash is not the hash of seq {seq - 1}: the record "
                              f"before it was altered (and its hash recomputed) or replaced",
                   seq, rid)


def _owner(conn: Connection, digest: str, lookups: list[int]) -> tuple[int, int] | None:
    """(record id, seq) of the record whose hash is ``digest`` (a scan; only on problems)."""
    if lookups[0] >= _MAX_LOOKUPS:
        return None
    lookups[0] += 1
    row = conn.execute(sa.select(audit_record.c.id, audit_record.c.seq)
                       .where(audit_record.c.hash == digest).limit(1)).first()
    return (row[0], int(row[1])) if row else None


def _check_checkpoint(row: dict[str, Any], key: AuditKey, report: VerifyReport) -> None:
    payload = orjson.loads(row["payload"])
    body = {k: payload.get(k) for k in ("first_seq", "last_seq", "last_hash", "count", "cutoff")}
    if payload.get("key_id") == key.key_id and not key.check(payload.get("mac"), "checkpoint",
                                                             body):
        report.problems.append(Problem("checkpoint", "the purge checkpoint's signature is not "
                                                     "valid", int(row["seq"]), row["id"]))


def _check_tail(report: VerifyReport, last_hash: str | None, explained: bool) -> None:
    last = report.last_seq or 0
    if report.head_seq == last and report.head_hash != last_hash and not explained:
        report.problems.append(Problem(
            "changed", "the last record's hash differs from the signed chain head: it was "
                       "altered or replaced", seq=last))
    elif report.head_seq > last:
        what = (f"seq {last + 1}" if report.head_seq == last + 1
                else f"seq {last + 1}..{report.head_seq}")
        report.problems.append(Problem(
            "deleted", f"{what} missing at the end: the signed head is at seq "
                       f"{report.head_seq}", seq=last + 1))


def day_bounds(start: str | None, end: str | None) -> tuple[str | None, str | None]:
    """``--from``/``--to`` days (inclusive) as recorded_at bounds (start incl., end excl.)."""
    from datetime import date

    def parse(text: str, what: str) -> date:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise ConfigError(f"{what} must be a date YYYY-MM-DD, not {text!r}") from None

    lo = parse(start, "--from").isoformat() if start else None
    hi = (parse(end, "--to") + timedelta(days=1)).isoformat() if end else None
    return lo, hi


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no user database
        return "unknown"


def summarize(records: Sequence[AuditRecord]) -> dict[str, int]:
    """Counts by kind (for export headers)."""
    out: dict[str, int] = {}
    for r in records:
        out[r.kind] = out.get(r.kind, 0) + 1
    return out
