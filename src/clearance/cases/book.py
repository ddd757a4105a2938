"""Alerts and cases: hits become alerts, one case per screened record, decisions on cases.

A screened record is identified by the id it was given, else by a fingerprint
of its screened fields (:func:`subject_key`). Each result at or above the
threshold is an alert on that record's case. An alert is identified by the
case, the listed entity, the fingerprint of the screened record's fields and
the content hash of the list entry (``entity_blob.hash``): when a case is
closed as a false positive its alerts are *cleared*, and a later screening
that finds the same entity for the same, unchanged record with the same,
unchanged list entry is *suppressed* (counted, not raised). If the record or
the list entry changed, the fingerprints differ: the alert is new and a closed
case reopens.

States: open, in_review, escalated, closed_true_match, closed_false_positive.
With ``CLEARANCE_FOUR_EYES`` a true match needs two different people: the
first ``true_match`` decision leaves the case in review, pending; a second
person's ``true_match`` closes it.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from clearance.cases.schema import alert, alert_case, case_decision
from clearance.errors import ConfigError, NotFoundError, StoreError
from clearance.settings import Settings, get_settings
from clearance.store.prepared import PreparedStatement, first
from clearance.store.writers import write_transaction

if TYPE_CHECKING:
    from clearance.audit.trail import AuditTrail

STATES = ("open", "in_review", "escalated", "closed_true_match", "closed_false_positive")
CLOSED = ("closed_true_match", "closed_false_positive")
DECISIONS = {
    "review": "in_review", "in_review": "in_review",
    "true_match": "closed_true_match",
    "false_positive": "closed_false_positive",
    "escalate": "escalated", "escalated": "escalated",
    "reopen": "open",
}
REASON_CODES = {
    "different-person": "a different person: other birth date, nationality or identifiers",
    "different-entity": "a different company, vessel or aircraft",
    "different-birth-date": "the birth dates differ",
    "different-country": "the countries differ",
    "different-identifier": "a document or registration number differs",
    "name-only": "only the name is similar; nothing else supports a match",
    "weak-alias": "the hit is on a weak (low-quality) alias",
    "identity-confirmed": "identity confirmed from documents",
    "identifier-match": "a document or registration number matches",
    "needs-information": "more information about the party is needed",
    "legal-review": "sent to legal or compliance for a decision",
    "other": "other reason (say which in the note)",
}
SYSTEM = "clearance"


@dataclass
class Case:
    id: int
    subject_key: str
    subject_id: str | None
    subject_name: str
    subject: dict[str, Any]
    state: str
    pending_by: str | None
    created_at: str
    updated_at: str
    open_alerts: int = 0
    alerts: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    screenings: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _norm(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value)).casefold()
    return " ".join(text.split())


def screened_fields(query: Any) -> dict[str, Any]:
    """The fields of a query that were screened, normalised for fingerprinting."""
    data = query.to_dict() if hasattr(query, "to_dict") else dict(query)
    out: dict[str, Any] = {}
    for name in ("name", "schema", "birth_date", "address"):
        if data.get(name):
            out[name] = _norm(data[name])
    for name in ("countries", "identifiers", "aliases"):
        values = sorted({_norm(v) for v in data.get(name) or [] if str(v).strip()})
        if values:
            out[name] = values
    return out


def record_fingerprint(query: Any) -> str:
    """sha256 of the screened fields: changes whenever what was screened changes."""
    body = orjson.dumps(screened_fields(query), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


def subject_key(query: Any) -> str:
    """The screened record's identity: ``id:<given id>`` else ``fp:<fingerprint>``."""
    given = getattr(query, "id", None) if not isinstance(query, dict) else query.get("id")
    if given not in (None, ""):
        text = str(given)
        if len(text) <= 200:
            return f"id:{text}"
        return f"idh:{hashlib.sha256(text.encode()).hexdigest()}"
    return f"fp:{record_fingerprint(query)}"


class CaseBook:
    """Cases and alerts in one database (the store's engine)."""

    def __init__(self, engine: Engine, settings: Settings | None = None,
                 trail: AuditTrail | None = None) -> None:
        self.engine = engine
        self.settings = settings or get_settings()
        self.trail = trail

    # -- from screenings -----------------------------------------------------

    def ingest(self, query: Any, results: Iterable[Any], *, conn: Connection | None = None
               ) -> list[dict[str, Any]]:
        """Turn the matches among ``results`` into alerts on the record's case.

        Returns one outcome per match: ``{"alert_id", "case_id", "entity_id",
        "status"}`` with status ``new``, ``open`` (already raised), ``confirmed``
        (a confirmed true match) or ``suppressed`` (a cleared false positive,
        unchanged on both sides; with the ``decision_id`` that cleared it).
        """
        matches = [r for r in results if _get(r, "match")]
        if not matches:
            return []
        if conn is None:
            with write_transaction(self.engine) as own:
                return self.ingest(query, matches, conn=own)
        now = _now()
        fp = record_fingerprint(query)
        key = subject_key(query)
        fields = query.to_dict() if hasattr(query, "to_dict") else dict(query)
        subject = orjson.dumps(fields).decode()
        stmts = _statements(conn.dialect.name)
        # The upsert comes first: on SQLite it takes the write lock for the whole
        # ingest; on PostgreSQL the case row is then locked FOR UPDATE.
        stmts.upsert_case.execute(conn, _prefixed({
            "subject_key": key, "subject_id": _given_id(query),
            "subject_name": str(fields.get("name")), "subject": subject,
            "record_fingerprint": fp, "state": "open", "pending_by": None, "created_at": now,
            "updated_at": now}))
        case = first(stmts.case_for_update.execute(conn, {"key": key}))
        if case is None:  # pragma: no cover - the upsert above made or kept it
            raise StoreError(f"the case of {key} vanished during an ingest")
        outcomes, new = [], 0
        for result in matches:
            outcome = self._alert(conn, stmts, case["id"], result, fp, now)
            new += outcome["status"] == "new"
            outcomes.append(outcome)
        values: dict[str, Any] = {"case_id": case["id"], "new_subject": subject,
                                  "new_subject_name": str(fields.get("name")),
                                  "new_record_fingerprint": fp, "new_updated_at": now}
        if new and case["state"] in CLOSED:
            conn.execute(case_decision.insert().values(
                case_id=case["id"], actor=SYSTEM, at=now, decision="reopen", reason="new-alert",
                note=f"{new} new alert(s): the screened record or the list entry changed",
                from_state=case["state"], to_state="open"))
            _REOPEN_CASE.execute(conn, values)
        else:
            _TOUCH_CASE.execute(conn, values)
        return outcomes

    def _alert(self, conn: Connection, stmts: _Statements, case_id: int, result: Any, fp: str,
               now: str) -> dict[str, Any]:
        entity_id = str(_get(result, "entity_id"))
        entity_hash = _entity_hash(result)
        where = {"case_id": case_id, "entity_id": entity_id, "record_fingerprint": fp,
                 "entity_hash": entity_hash}
        row = first(_FIND_ALERT.execute(conn, where))
        score = float(_get(result, "score"))
        out = {"case_id": case_id, "entity_id": entity_id, "score": _get(result, "score")}
        if row is None:
            stmts.insert_alert.execute(conn, _prefixed({
                **where, "entity_name": str(_get(result, "name")),
                "source": str(_get(result, "source") or ""),
                "lists": orjson.dumps(list(_get(result, "lists") or [])).decode(),
                "score": score, "state": "open", "decision_id": None, "first_seen": now,
                "last_seen": now, "seen": 1, "suppressed": 0}))
            row = first(_FIND_ALERT.execute(conn, where))
            if row is None:  # pragma: no cover - inserted, or there already
                raise StoreError(f"the alert on {entity_id} vanished during an ingest")
            return {**out, "alert_id": row["id"], "status": "new"}
        if row["state"] == "cleared":
            _SUPPRESS_ALERT.execute(conn, {"alert_id": row["id"], "now": now})
            return {**out, "alert_id": row["id"], "status": "suppressed",
                    "decision_id": row["decision_id"]}
        _SEE_ALERT.execute(conn, {"alert_id": row["id"], "now": now, "new_score": score})
        status = "confirmed" if row["state"] == "confirmed" else "open"
        return {**out, "alert_id": row["id"], "status": status}

    # -- reading -------------------------------------------------------------

    def cases(self, state: str | None = None, limit: int = 200) -> list[Case]:
        """Cases, most recently updated first, with their count of open alerts."""
        if state is not None and state not in STATES:
            raise ConfigError(f"unknown state {state!r}; one of {', '.join(STATES)}")
        open_count = (sa.select(sa.func.count()).select_from(alert)
                      .where(alert.c.case_id == alert_case.c.id, alert.c.state == "open")
                      .scalar_subquery())
        query = (sa.select(alert_case, open_count.label("open_alerts"))
                 .order_by(alert_case.c.updated_at.desc(), alert_case.c.id.desc()).limit(limit))
        if state:
            query = query.where(alert_case.c.state == state)
        with self.engine.connect() as conn:
            return [_case(r) for r in conn.execute(query).mappings()]

    def case(self, case_id: int) -> Case:
        """One case with its alerts, decisions and the audit records of its screenings."""
        from clearance.audit.schema import audit_record

        with self.engine.connect() as conn:
            row = conn.execute(sa.select(alert_case).where(alert_case.c.id == case_id)
                               ).mappings().first()
            if row is None:
                raise NotFoundError(f"no case with id {case_id}")
            case = _case(row)
            case.alerts = [{**_plain(a), "lists": orjson.loads(a["lists"])} for a in conn.execute(
                sa.select(alert).where(alert.c.case_id == case_id).order_by(alert.c.id)
            ).mappings()]
            case.open_alerts = sum(a["state"] == "open" for a in case.alerts)
            case.decisions = [_plain(d) for d in conn.execute(
                sa.select(case_decision).where(case_decision.c.case_id == case_id)
                .order_by(case_decision.c.id)).mappings()]
            case.screenings = [_plain(s) for s in conn.execute(
                sa.select(audit_record.c.seq, audit_record.c.recorded_at, audit_record.c.actor,
                          audit_record.c.channel, audit_record.c.kind)
                .where(audit_record.c.subject == case.subject_key)
                .order_by(audit_record.c.seq)).mappings()]
        return case

    # -- deciding ------------------------------------------------------------

    def decide(self, case_id: int, decision: str, reason: str, note: str = "",
               actor: str | None = None, channel: str = "cli") -> dict[str, Any]:
        """Record a decision on a case: who, when, reason code, note; the new state."""
        decision = decision.strip().lower().replace("-", "_")
        if decision not in DECISIONS:
            raise ConfigError(f"unknown decision {decision!r}; one of "
                              "review, true_match, false_positive, escalate, reopen")
        if reason not in REASON_CODES:
            raise ConfigError(f"unknown reason code {reason!r}; one of "
                              f"{', '.join(REASON_CODES)}")
        actor = (actor or self.settings.actor or _os_user()).strip()
        if not actor:
            raise ConfigError("a decision needs an actor (--actor or CLEARANCE_ACTOR)")
        now = _now()
        with write_transaction(self.engine) as conn:
            # Lock the case row (PostgreSQL) / take the write lock (SQLite) before reading it.
            conn.execute(alert_case.update().where(alert_case.c.id == case_id)
                         .values(updated_at=now))
            case = conn.execute(sa.select(alert_case).where(alert_case.c.id == case_id)
                                ).mappings().first()
            if case is None:
                raise NotFoundError(f"no case with id {case_id}")
            state, to_state, pending = case["state"], DECISIONS[decision], None
            if state in CLOSED and decision != "reopen":
                raise StoreError(f"case {case_id} is {state}; reopen it before deciding again")
            if decision == "reopen" and state == "open":
                raise StoreError(f"case {case_id} is already open")
            if decision == "true_match" and self.settings.four_eyes:
                if case["pending_by"] is None:
                    to_state, pending = "in_review", actor
                elif case["pending_by"].casefold() == actor.casefold():
                    raise StoreError(
                        f"four-eyes: {actor} proposed this true match; a second, different "
                        "person must confirm it")
            decision_id = conn.execute(case_decision.insert().values(
                case_id=case_id, actor=actor[:255], at=now, decision=decision, reason=reason,
                note=note, from_state=state, to_state=to_state)).inserted_primary_key[0]
            conn.execute(alert_case.update().where(alert_case.c.id == case_id).values(
                state=to_state, pending_by=pending))
            alert_state = {"closed_false_positive": ("open", "cleared"),
                           "closed_true_match": ("open", "confirmed")}.get(to_state)
            if alert_state:
                conn.execute(alert.update().where(alert.c.case_id == case_id,
                                                  alert.c.state == alert_state[0])
                             .values(state=alert_state[1], decision_id=decision_id))
            elif decision == "reopen":
                conn.execute(alert.update().where(alert.c.case_id == case_id,
                                                  alert.c.state.in_(("cleared", "confirmed")))
                             .values(state="open", decision_id=decision_id))
            out = {"decision_id": decision_id, "case_id": case_id, "actor": actor, "at": now,
                   "decision": decision, "reason": reason, "note": note, "from_state": state,
                   "to_state": to_state, "pending_confirmation": pending is not None}
            if self.trail is not None:
                record = self.trail.record("case_decision", out, actor=actor, channel=channel,
                                           subject=case["subject_key"], conn=conn)
                out["audit_seq"] = record.seq
        return out


# The statements of ``CaseBook.ingest``, built and compiled once (see
# clearance.store.prepared: through Core they cost more than the database's work),
# executed with dicts of values.
_FIND_ALERT = PreparedStatement(sa.select(alert).where(
    alert.c.case_id == sa.bindparam("case_id"), alert.c.entity_id == sa.bindparam("entity_id"),
    alert.c.record_fingerprint == sa.bindparam("record_fingerprint"),
    alert.c.entity_hash == sa.bindparam("entity_hash")))
_SUPPRESS_ALERT = PreparedStatement(alert.update().where(
    alert.c.id == sa.bindparam("alert_id")).values(
    suppressed=alert.c.suppressed + 1, last_seen=sa.bindparam("now")))
_SEE_ALERT = PreparedStatement(alert.update().where(
    alert.c.id == sa.bindparam("alert_id")).values(
    seen=alert.c.seen + 1, last_seen=sa.bindparam("now"), score=sa.bindparam("new_score")))
_CASE_SET = {name: sa.bindparam("new_" + name)
             for name in ("subject", "subject_name", "record_fingerprint", "updated_at")}
_TOUCH_CASE = PreparedStatement(alert_case.update().where(
    alert_case.c.id == sa.bindparam("case_id")).values(_CASE_SET))
_REOPEN_CASE = PreparedStatement(alert_case.update().where(
    alert_case.c.id == sa.bindparam("case_id")).values(
    {**_CASE_SET, "state": "open", "pending_by": None}))


@dataclass(frozen=True)
class _Statements:
    """The dialect-specific statements of an ingest (insert-or-ignore, row locks)."""

    upsert_case: PreparedStatement
    case_for_update: PreparedStatement
    insert_alert: PreparedStatement


_BY_DIALECT: dict[str, _Statements] = {}


def _prefixed(values: dict[str, Any]) -> dict[str, Any]:
    """Column values under their parameter names (a bind may not be named as its column)."""
    return {"new_" + k: v for k, v in values.items()}


def _statements(dialect: str) -> _Statements:
    found = _BY_DIALECT.get(dialect)
    if found is None:
        found = _BY_DIALECT[dialect] = _Statements(
            upsert_case=PreparedStatement(_insert_ignore_on(
                dialect, alert_case, "subject_key").values(
                {c.name: sa.bindparam("new_" + c.name) for c in alert_case.c if c.name != "id"})),
            case_for_update=PreparedStatement(sa.select(alert_case).where(
                alert_case.c.subject_key == sa.bindparam("key")).with_for_update()),
            insert_alert=PreparedStatement(_insert_ignore_on(
                dialect, alert, "case_id", "entity_id", "record_fingerprint", "entity_hash"
            ).values({c.name: sa.bindparam("new_" + c.name) for c in alert.c if c.name != "id"})))
    return found


def _insert_ignore_on(dialect: str, table: sa.Table, *keys: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=list(keys))
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=list(keys))


def _get(result: Any, name: str) -> Any:
    if isinstance(result, dict):
        return result.get(name)
    if name == "name":
        return result.entity.name
    if name == "source":
        return result.entity.source
    return getattr(result, name)


def _entity_hash(result: Any) -> str:
    if isinstance(result, dict):
        return str(result["entity_hash"])
    return str(getattr(result, "entity_hash", "") or result.entity.content_hash())


def _given_id(query: Any) -> str | None:
    given = query.get("id") if isinstance(query, dict) else getattr(query, "id", None)
    return None if given in (None, "") else str(given)


def _case(row: Any) -> Case:
    return Case(row["id"], row["subject_key"], row["subject_id"], row["subject_name"],
                orjson.loads(row["subject"]), row["state"], row["pending_by"], row["created_at"],
                row["updated_at"], int(row.get("open_alerts") or 0))


def _plain(row: Any) -> dict[str, Any]:
    """A row as a dict with plain ``str`` keys (SQLAlchemy's are a str subclass)."""
    return {str(k): v for k, v in row.items()}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover
        return "unknown"
