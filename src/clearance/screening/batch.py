"""Batch screening of large files: streamed, on every core, resumable, audited.

:func:`screen_batch` reads an input file (CSV, TSV, JSON lines, Parquet or Excel; see
:mod:`clearance.screening.readers`) in chunks of ``chunk_size`` rows, screens the chunks
in worker processes and writes the results in input order (CSV, JSON lines or Parquet;
see :mod:`clearance.screening.writers`).

- **Memory stays flat.** Rows are read lazily and at most ``2 × workers + 1`` chunks are
  in flight; results are written as soon as their turn comes.
- **All cores.** The workers are forked from the process that built the
  :class:`~clearance.screening.Screener`, so they inherit the index instead of loading or
  unpickling it; only chunks of plain rows and the result rows cross process boundaries.
  ``gc.freeze()`` before forking keeps the inherited objects out of the collector's way,
  so that the shared pages are not copied needlessly.
- **Resumable.** Every ``commit_seconds`` (and at the end) the output and the errors file
  are flushed and fsynced, then a journal ``OUT.journal`` is replaced atomically: it
  records the rows consumed (and the byte offset reached, for text inputs), the committed
  output and errors sizes, the counts, and what the run depends on (input sha256, column
  map, threshold, list versions). ``resume=True`` truncates the output back to the last
  commit and goes on from the journaled position: no record is screened twice into the
  output, none is lost. The journal is removed when the run completes.
- **Malformed rows** (bad UTF-8, wrong number of fields, invalid JSON, no name) are
  reported with their line numbers to ``on_error`` and to ``OUT.errors.csv``; the run goes
  on. With ``all_records`` they appear in the output too, with ``status = error``.
- **Audit.** ``recorder(summary)`` is called once per completed run with the input and
  output digests, the counts, the list versions, the threshold and the hits.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import shutil
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from clearance.errors import ConfigError
from clearance.matching.kernels import warm_up
from clearance.screening.readers import ColumnMap, Position, RecordReader, detect_columns
from clearance.screening.screener import Screener, ScreeningResult
from clearance.screening.writers import (
    errors_writer,
    iter_output,
    open_writer,
    output_format,
)

JOURNAL_VERSION = 1

Recorder = Callable[[dict[str, Any]], None]


@dataclass
class BatchOptions:
    """How to screen a file. ``workers=None``: one per core."""

    threshold: float | None = None
    limit: int | None = None
    """At most this many hits per record; None (the default) writes every one."""
    all_records: bool = False
    workers: int | None = None
    chunk_size: int = 500
    commit_seconds: float = 1.0
    columns: dict[str, str | None] = field(default_factory=dict)
    input_format: str | None = None
    output_format: str | None = None
    sheet: str | None = None


@dataclass
class Progress:
    """What the progress callback is told after each chunk."""

    done: int
    total: int
    unit: str
    records: int
    hits: int
    errors: int
    seconds: float = 0.0
    """Seconds since this run started screening (a resumed run counts from its restart)."""
    screened: int = 0
    """Records screened by this run (less those a resumed run found done)."""


# -- screening one chunk (in a worker, or in process) --------------------------------------

_SCREENER: Screener | None = None
"""The screener the forked workers inherit (set in the parent just before forking)."""


@dataclass(frozen=True)
class ChunkSettings:
    columns: ColumnMap
    threshold: float | None
    limit: int | None
    all_records: bool


def screen_rows(screener: Screener, rows: list[tuple[int, dict[str, Any] | None, str | None]],
                settings: ChunkSettings) -> tuple[list[dict[str, Any]], list[tuple[int, str]],
                                                  dict[str, int]]:
    """Screen a chunk: output rows, errors ``(line, message)`` and counts."""
    out: list[dict[str, Any]] = []
    errors: list[tuple[int, str]] = []
    counts = {"records": 0, "errors": 0, "hits": 0, "records_with_hits": 0}
    for line, values, problem in rows:
        query = settings.columns.query(values, line) if values is not None else None
        if problem is None and isinstance(query, str):
            problem = query
        if problem is None and query is not None and not isinstance(query, str):
            try:
                # Only hits are written, unless every record gets its best result.
                results = screener.screen(query, threshold=settings.threshold,
                                          limit=settings.limit,
                                          matches_only=not settings.all_records)
            except Exception as exc:  # one bad record must not end a million-record run
                problem = f"screening failed: {type(exc).__name__}: {exc}"
            else:
                hits = [r for r in results if r.match]
                counts["records"] += 1
                counts["hits"] += len(hits)
                counts["records_with_hits"] += bool(hits)
                out.extend(result_rows(line, query.id or str(line), query.name, hits,
                                       results, settings.all_records))
                continue
        counts["errors"] += 1
        errors.append((line, problem or "unreadable"))
        if settings.all_records:
            record_id = values.get(settings.columns.id) if values and settings.columns.id \
                else None
            out.append(_empty_row(line, str(record_id or line),
                                  query.name if query and not isinstance(query, str) else None,
                                  "error", error=problem))
    return out, errors, counts


def result_rows(line: int, record_id: str, name: str, hits: list[ScreeningResult],
                results: list[ScreeningResult], all_records: bool) -> list[dict[str, Any]]:
    """One row per hit; with ``all_records``, exactly one row per record (its best result)."""
    hit_ids = ";".join(r.entity_id for r in hits)
    if all_records:
        if hits:
            return [_hit_row(line, record_id, name, hits[0], 1, len(hits), hit_ids)]
        row = _empty_row(line, record_id, name, "clear")
        if results:  # the best result below the threshold, for the reviewer's information
            row.update(_hit_row(line, record_id, name, results[0], None, 0, ""),
                       status="clear")
        return [row]
    return [_hit_row(line, record_id, name, r, rank, len(hits), hit_ids)
            for rank, r in enumerate(hits, 1)]


def _hit_row(line: int, record_id: str, name: str, result: ScreeningResult, rank: int | None,
             hits: int, hit_ids: str) -> dict[str, Any]:
    entity = result.entity
    return {
        "line": line, "record_id": record_id, "name": name, "status": "hit" if hits else "clear",
        "hits": hits, "rank": rank, "entity_id": entity.id, "entity_name": entity.name,
        "matched_name": result.explanation.get("name", {}).get("matched") or None,
        "entity_schema": entity.schema, "source": entity.source,
        "lists": ";".join(result.lists) or None, "programs": ";".join(entity.programs) or None,
        "score": round(result.score, 4), "restricted": result.restricted,
        "reasons": _reasons(result.explanation) or None, "hit_ids": hit_ids or None,
        "error": None,
    }


def _empty_row(line: int, record_id: str, name: str | None, status: str,
               error: str | None = None) -> dict[str, Any]:
    return {"line": line, "record_id": record_id, "name": name, "status": status, "hits": 0,
            "rank": None, "entity_id": None, "entity_name": None, "matched_name": None,
            "entity_schema": None, "source": None, "lists": None, "programs": None,
            "score": None, "restricted": None, "reasons": None, "hit_ids": None,
            "error": error}


def _reasons(explanation: dict[str, Any]) -> str:
    return "; ".join(f"{row['feature']} {row['contribution']:+.2f}"
                     for row in explanation.get("features", []) if row.get("contribution"))


def _worker_init() -> None:
    # Ctrl-C goes to the parent, which stops the pool and leaves the journal consistent.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_screen(rows: list[tuple[int, dict[str, Any] | None, str | None]],
                   settings: ChunkSettings) -> tuple[list[dict[str, Any]],
                                                     list[tuple[int, str]], dict[str, int]]:
    assert _SCREENER is not None, "workers must be forked after the screener is set"
    return screen_rows(_SCREENER, rows, settings)


# -- the run -------------------------------------------------------------------------------

@dataclass
class _Chunk:
    rows: list[tuple[int, dict[str, Any] | None, str | None]]
    end: Position


def _chunks(reader: RecordReader, start: Position, size: int) -> Iterator[_Chunk]:
    rows: list[tuple[int, dict[str, Any] | None, str | None]] = []
    consumed = start.rows
    position = start
    for row in reader.rows(start):
        consumed += 1
        position = Position(consumed, row.offset, row.last_line)
        if row.values is None and row.error is None:
            continue  # a blank line: nothing to screen, nothing to report
        rows.append((row.line, row.values, row.error))
        if len(rows) >= size:
            yield _Chunk(rows, position)
            rows = []
    if rows or position is not start:
        yield _Chunk(rows, position)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def journal_path(output: Path) -> Path:
    return Path(str(output) + ".journal")


def errors_path(output: Path) -> Path:
    return Path(str(output) + ".errors.csv")


def read_journal(output: Path) -> dict[str, Any] | None:
    """The journal of an unfinished run writing ``output``, if there is one."""
    path = journal_path(output)
    if not path.exists():
        return None
    return orjson.loads(path.read_bytes())  # type: ignore[no-any-return]


def _write_journal(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def screener_fingerprint(screener: Screener) -> dict[str, Any]:
    """What the results depend on besides the input: the day, the list versions, the config."""
    return {"as_of": screener.as_of,
            "versions": sorted([v.source, v.seq, v.sha256] for v in screener.versions),
            "config": hashlib.sha256(repr(screener.config).encode()).hexdigest()[:16]}


def screen_batch(
    screener: Screener,
    input_path: Path,
    output: Path | None,
    options: BatchOptions | None = None,
    *,
    resume: bool = False,
    stream: IO[bytes] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_error: Callable[[int, str], None] | None = None,
    recorder: Recorder | None = None,
) -> dict[str, Any]:
    """Screen every record of ``input_path`` into ``output`` (or ``stream`` if None).

    Returns the run's summary (the same dict ``recorder`` receives). Raises
    :class:`ConfigError` for a journal that does not fit (``resume`` without one, or with
    another input, columns, threshold or list versions; or an unfinished run's journal
    present without ``resume``), :class:`FormatError` for an unreadable file.
    """
    options = options or BatchOptions()
    screener.require_lists()  # refused before a row is read: never a file of "no match"
    if options.chunk_size < 1:
        raise ConfigError("the chunk size must be at least 1")
    input_path = Path(input_path)
    started = datetime.now(UTC)
    clock = time.monotonic()
    reader = RecordReader(input_path, options.input_format, options.sheet)
    columns = detect_columns(reader.headers(), options.columns, input_path)
    reader.columns = columns.columns()
    out_format = output_format(output, options.output_format)
    input_sha = sha256_file(input_path)
    settings = ChunkSettings(columns, options.threshold, options.limit, options.all_records)
    identity = {
        "version": JOURNAL_VERSION, "input": str(input_path.resolve()), "input_sha256": input_sha,
        "input_format": reader.format, "output_format": out_format,
        "columns": columns.to_dict(), "threshold": options.threshold, "limit": options.limit,
        "all": options.all_records, "screener": screener_fingerprint(screener),
    }

    journal = journal_path(output) if output is not None else None
    err_path = errors_path(output) if output is not None else None
    state: dict[str, Any] = {"rows": 0, "offset": None, "line": 0, "output": {},
                             "errors_file": {}, "counts": {}}
    previous = read_journal(output) if output is not None else None
    if resume:
        if output is None:
            raise ConfigError("--resume needs --output: there is nothing to resume on stdout")
        if previous is None:
            raise ConfigError(f"nothing to resume: no journal {journal}")
        mismatched = [k for k in identity if previous.get(k) != identity[k]]
        if mismatched:
            raise ConfigError(f"cannot resume: the {', '.join(mismatched)} differ from the "
                              f"interrupted run's (journal {journal})")
        state = previous["state"]
    elif previous is not None:
        raise ConfigError(f"{output} has an unfinished run (journal {journal}): pass --resume "
                          "to continue it, or delete the journal to start again")
    elif output is not None:
        for stale in (output, err_path, Path(str(output) + ".parts")):
            if stale is not None and stale.is_dir():
                shutil.rmtree(stale)
            elif stale is not None and stale.exists():
                stale.unlink()

    writer = open_writer(output, out_format, stream)
    errors_out = errors_writer(err_path)
    if resume:
        writer.restore(state["output"])
        if errors_out is not None:
            errors_out.restore(state["errors_file"])
    counts = {"records": 0, "errors": 0, "hits": 0, "records_with_hits": 0,
              **state["counts"]}
    start = Position(state["rows"], state["offset"], state["line"])
    total, unit = reader.total()

    def commit(position: Position) -> None:
        out_state = writer.commit()
        err_state = errors_out.commit() if errors_out is not None else {}
        if journal is not None:
            _write_journal(journal, {**identity, "state": {
                "rows": position.rows, "offset": position.offset, "line": position.line,
                "output": out_state, "errors_file": err_state, "counts": counts}})

    workers = options.workers or os.cpu_count() or 1
    chunks = _chunks(reader, start, options.chunk_size)
    last_commit = time.monotonic()
    position = start
    loop_start, records_before = time.monotonic(), counts["records"]
    try:
        for result, chunk in _run(screener, chunks, settings, workers):
            rows, errors, chunk_counts = result
            writer.write(rows)
            for line, message in errors:
                if on_error is not None:
                    on_error(line, message)
            if errors_out is not None and errors:
                errors_out.write([{"line": line, "error": message} for line, message in errors])
            for key, value in chunk_counts.items():
                counts[key] += value
            position = chunk.end
            if time.monotonic() - last_commit >= options.commit_seconds:
                commit(position)
                last_commit = time.monotonic()
            if on_progress is not None:
                done = position.rows if unit == "rows" else (position.offset or 0)
                on_progress(Progress(done, total, unit, counts["records"], counts["hits"],
                                     counts["errors"], time.monotonic() - loop_start,
                                     counts["records"] - records_before))
        commit(position)
    except BaseException:
        writer.abort()
        if errors_out is not None:
            errors_out.abort()
        raise
    writer.close()
    if errors_out is not None:
        errors_out.close()
    if journal is not None:
        journal.unlink(missing_ok=True)

    summary: dict[str, Any] = {
        "input": str(input_path), "input_sha256": input_sha, "input_format": reader.format,
        "output": str(output) if output is not None else None,
        "output_sha256": sha256_file(output) if output is not None else None,
        "output_format": out_format,
        "errors_file": str(err_path) if err_path is not None else None,
        **counts,
        "threshold": options.threshold if options.threshold is not None
        else screener.config.threshold,
        "as_of": screener.as_of,
        "versions": [v.to_dict() for v in screener.versions],
        "columns": columns.to_dict(), "all": options.all_records, "workers": workers,
        "resumed": resume, "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - clock, 3),
    }
    if recorder is not None:
        summary["hits_list"] = _hits(output, out_format) if output is not None else []
        recorder(summary)
    return summary


def _hits(output: Path, fmt: str) -> list[dict[str, Any]]:
    """The hits of a finished output, read back (so a resumed run reports all of them)."""
    keys = ("line", "record_id", "name", "entity_id", "entity_name", "lists", "score")
    return [{k: row.get(k) for k in keys} for row in iter_output(output, fmt)
            if row.get("status") == "hit"]


def _run(screener: Screener, chunks: Iterator[_Chunk], settings: ChunkSettings, workers: int
         ) -> Iterator[tuple[tuple[list[dict[str, Any]], list[tuple[int, str]],
                                   dict[str, int]], _Chunk]]:
    """Results of each chunk, in input order, screened in process or by forked workers."""
    if workers <= 1:
        for chunk in chunks:
            yield screen_rows(screener, chunk.rows, settings), chunk
        return
    global _SCREENER
    _SCREENER = screener
    warm_up()  # compiled once here, not in every worker
    gc.collect()
    gc.freeze()
    context = multiprocessing.get_context("fork")
    pool = context.Pool(workers, initializer=_worker_init)
    try:
        pending: deque[tuple[Any, _Chunk]] = deque()
        for chunk in chunks:
            pending.append((pool.apply_async(_worker_screen, (chunk.rows, settings)), chunk))
            if len(pending) > 2 * workers:
                async_result, done = pending.popleft()
                yield async_result.get(), done
        while pending:
            async_result, done = pending.popleft()
            yield async_result.get(), done
        pool.close()
    finally:
        pool.terminate()
        pool.join()
        _SCREENER = None
        gc.unfreeze()
