"""Screening with its record: the one call the interfaces (and the Python API) go through.

>>> screener = open_screener(Store.open(), actor="alice")      # the Python API
>>> screener.screen(Query("ZTE Corporation"))                  # screened, recorded, alerted

A screening's matches become alerts on its case and its audit record is
appended in the same transaction (the chain head is locked last, so the lock
is held only for the final INSERT), so a screening is never recorded without
its alerts nor the reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clearance.audit.trail import AuditRecord, AuditTrail, result_ref, screening_payload
from clearance.cases import CaseBook, subject_key
from clearance.errors import ConfigError
from clearance.matching import Query
from clearance.screening.limits import EMPTY_NAME, name_is_empty
from clearance.store.writers import write_transaction


def record_results(trail: AuditTrail, query: Query, results: list[Any], *, threshold: float,
                   versions: list[Any], as_of: str | None, actor: str | None, channel: str,
                   cases: CaseBook | None = None, extra: dict[str, Any] | None = None,
                   wait: bool = True) -> AuditRecord:
    """Alerts for the matches (if ``cases``) and the audit record, in one transaction.

    ``wait=False``: raise :class:`~clearance.store.writers.WriterBusy` rather than wait for
    another writer of a SQLite file; nothing is written then.
    """
    payload = screening_payload(query, versions, threshold, results, as_of=as_of, extra=extra)
    with write_transaction(trail.engine, wait) as conn:
        alerts = cases.ingest(query, results, conn=conn) if cases is not None else None
        if alerts:
            payload["alerts"] = alerts
        return trail.append_screening(payload, channel=channel, actor=actor,
                                      subject=subject_key(query), conn=conn)


def record_screened_batch(trail: AuditTrail, screened: list[tuple[Query, list[Any]]], *,
                          threshold: float, versions: list[Any], as_of: str | None,
                          actor: str | None, channel: str, cases: CaseBook | None = None,
                          counts: dict[str, int] | None = None,
                          extra: dict[str, Any] | None = None) -> AuditRecord:
    """One record for a batch of screenings (an API batch, a file): alerts per record and
    one ``batch`` audit record, in one transaction.

    ``screened`` is ``[(query, results), ...]``. The record keeps every query with its
    results in brief (entity, score, match) under ``records``, and in full (with the
    explanations) for the records with a match under ``hits``. File runs add the file
    names and digests through ``extra`` (or call ``AuditTrail.record_batch`` directly).
    """
    with write_transaction(trail.engine) as conn:
        hits, brief = [], []
        for query, found in screened:
            alerts = cases.ingest(query, found, conn=conn) if cases is not None else None
            matches = [r for r in found if r.match]
            if matches:
                hits.append({"id": query.id, "query": query.to_dict(), "alerts": alerts or [],
                             "results": [result_ref(r) for r in matches]})
            brief.append({"id": query.id, "query": query.to_dict(),
                          "results": [{"entity_id": r.entity_id, "score": r.score,
                                       "match": r.match} for r in found]})
        counts = {"records": len(screened), "with_matches": len(hits), **(counts or {})}
        return trail.record_batch(channel=channel, actor=actor, versions=versions,
                                  threshold=threshold, as_of=as_of, counts=counts, hits=hits,
                                  extra={**(extra or {}), "records": brief}, conn=conn)


def screen_recorded(screener: Any, query: Query | str, *, trail: AuditTrail,
                    cases: CaseBook | None = None, actor: str | None = None,
                    channel: str = "python", threshold: float | None = None,
                    limit: int | None = 10) -> tuple[Any, AuditRecord]:
    """Screen ``query`` with ``screener`` and record it; returns (results, record).

    Every match is recorded and becomes an alert, however many there are; ``limit``
    trims only the results returned (which still count every match). A name with nothing
    left to compare after normalisation (only control, NUL or zero-width characters) is
    refused (ConfigError): its "no match" would be a false all-clear in the audit trail.
    """
    if isinstance(query, str):
        query = Query(query)
    if name_is_empty(query.name):
        raise ConfigError(f"cannot screen the name {query.name!r}: {EMPTY_NAME}")
    results = screener.screen(query, threshold=threshold, limit=None)
    shown = results.head(limit)
    record = record_results(
        trail, query, results.with_matches(limit),
        threshold=effective_threshold(screener, threshold),
        versions=screener.versions, as_of=screener.as_of, actor=actor, channel=channel,
        cases=cases, extra={"limit": limit, "matches": results.matches,
                            "not_known": list(screener.not_known)})
    return shown, record


def effective_threshold(screener: Any, threshold: float | None) -> float:
    return float(threshold if threshold is not None else screener.config.threshold)


class AuditedScreener:
    """A :class:`~clearance.screening.Screener` whose every ``screen()`` is recorded."""

    def __init__(self, screener: Any, trail: AuditTrail, cases: CaseBook | None = None,
                 actor: str | None = None, channel: str = "python") -> None:
        self.screener = screener
        self.trail = trail
        self.cases = cases
        self.actor = actor
        self.channel = channel
        self.last_record: AuditRecord | None = None

    def screen(self, query: Query | str, threshold: float | None = None,
               limit: int | None = 10) -> list[Any]:
        results, self.last_record = screen_recorded(
            self.screener, query, trail=self.trail, cases=self.cases, actor=self.actor,
            channel=self.channel, threshold=threshold, limit=limit)
        return results

    def __getattr__(self, name: str) -> Any:
        return getattr(self.screener, name)

    def __len__(self) -> int:
        return len(self.screener)


def open_screener(store: Any, as_of: str | None = None, actor: str | None = None,
                  sources: list[str] | None = None, alerts: bool = True,
                  channel: str = "python") -> AuditedScreener:
    """The Python API's screener: the lists in force on ``as_of``, every screening recorded."""
    from clearance.screening import Screener

    trail = AuditTrail(store.engine)
    cases = CaseBook(store.engine, trail=trail) if alerts else None
    return AuditedScreener(Screener.from_store(store, as_of=as_of, sources=sources), trail,
                           cases, actor, channel)


def batch_recorder(trail: AuditTrail, *, channel: str, actor: str | None = None
                   ) -> Callable[[dict[str, Any]], None]:
    """The ``recorder`` for :func:`clearance.screening.batch.screen_batch`: one audit record
    per file run, with the input and output digests, the counts and every hit."""

    def record(summary: dict[str, Any]) -> None:
        counts = {k: int(summary.get(k) or 0)
                  for k in ("records", "errors", "hits", "records_with_hits")}
        trail.record_batch(
            channel=channel, actor=actor, counts=counts, hits=summary.get("hits_list", []),
            versions=summary.get("versions", []), threshold=summary["threshold"],
            input_name=summary.get("input"), input_sha256=summary.get("input_sha256"),
            output_name=summary.get("output"), output_sha256=summary.get("output_sha256"),
            as_of=summary.get("as_of"),
            extra={k: summary.get(k) for k in ("columns", "workers", "resumed", "seconds",
                                               "input_format", "output_format")})

    return record
