"""Screening a file of records, and scoring pairs of records (record linkage).

Input files are CSV or JSON lines with the columns ``id, name, schema,
birth_date, nationality, country, id_number, address`` (all but ``name``
optional). Output is JSON lines in input order. A record that cannot be read
is reported with its line number and skipped; the run goes on. A value longer
than the limits of ``POST /screen`` (:mod:`clearance.screening.limits`) makes
the record an error too, flagged ``over_limit`` so that a service can refuse
the whole file before screening any of it (:func:`check_file`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from clearance.errors import FormatError, InputError
from clearance.matching import Query, compare, prepare_entity, prepare_query
from clearance.matching.config import DEFAULT_CONFIG, MatchConfig
from clearance.screening.limits import EMPTY_NAME, FIELD_LIMITS, name_is_empty
from clearance.screening.screener import Screener

COLUMNS = ("id", "name", "schema", "birth_date", "nationality", "country", "id_number",
           "address")


@dataclass
class RecordError:
    """A record that could not be screened: where and why."""

    line: int
    message: str
    field: str | None = None
    over_limit: bool = False


def read_records(path: Path) -> Iterator[tuple[int, Query | RecordError]]:
    """(line number, query or error) for each record of a CSV or JSON-lines file."""
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        yield from _read_jsonl(path)
    else:
        yield from _read_csv(path)


def _read_csv(path: Path) -> Iterator[tuple[int, Query | RecordError]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        try:
            if not reader.fieldnames or "name" not in reader.fieldnames:
                raise FormatError("the file needs a 'name' column", path=path, line=1)
            for row in reader:
                yield reader.line_num, _query(row, reader.line_num)
        except csv.Error as exc:  # a field past csv's own size limit, a NUL byte...
            raise FormatError(f"unreadable CSV: {exc}", path=path.name,
                              line=reader.line_num) from None


def _read_jsonl(path: Path) -> Iterator[tuple[int, Query | RecordError]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield number, RecordError(number, f"invalid JSON: {exc}")
                continue
            if not isinstance(row, dict):
                yield number, RecordError(number, "each line must be a JSON object")
                continue
            yield number, _query(row, number)


def _query(row: dict[str, Any], line: int) -> Query | RecordError:
    problem = _over_limit(row, line)
    if problem is not None:
        return problem
    name = str(row.get("name") or "").strip()
    if not name:
        return RecordError(line, "no name", "name")
    if name_is_empty(name):
        return RecordError(line, EMPTY_NAME, "name")
    countries = [str(row[k]) for k in ("nationality", "country") if row.get(k)]
    return Query(
        name=name, schema=row.get("schema") or None, birth_date=row.get("birth_date") or None,
        countries=countries,
        identifiers=[str(row["id_number"])] if row.get("id_number") else [],
        address=row.get("address") or None,
        id=str(row["id"]) if row.get("id") not in (None, "") else str(line),
    )


def _over_limit(row: dict[str, Any], line: int) -> RecordError | None:
    """The first column whose value is not text or is longer than its limit."""
    for column, limit in FIELD_LIMITS.items():
        value = row.get(column)
        if value is None:
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            return RecordError(line, f"{column!r} must be text", column, over_limit=True)
        if len(str(value)) > limit:
            return RecordError(line, f"{column!r} is {len(str(value)):,} characters long; "
                               f"at most {limit} are accepted", column, over_limit=True)
    return None


def check_file(path: Path, max_records: int) -> int:
    """Count the records of ``path``, refusing it (InputError naming the line and the
    field) when one breaks a limit or when it holds more than ``max_records``."""
    count = 0
    for line, item in read_records(path):
        count += 1
        if count > max_records:
            raise InputError(f"the file holds more than {max_records:,} records; split it",
                             line=line)
        if isinstance(item, RecordError) and item.over_limit:
            raise InputError(f"line {line}: {item.message}", line=line, element=item.field)
    return count


def screen_file(screener: Screener, path: Path, out: IO[bytes], threshold: float | None = None,
                limit: int = 10, before_each: Callable[[], None] | None = None
                ) -> dict[str, int]:
    """Screen every record of ``path``, writing one JSON line per record to ``out``.

    ``before_each`` is called before each record: it may raise to stop the run (a job
    cancelled or past its time limit). Each record is bounded by the field limits, so
    a run stops within one record's screening."""
    stats = {"records": 0, "errors": 0, "with_matches": 0}
    for line, item in read_records(path):
        if before_each is not None:
            before_each()
        if isinstance(item, RecordError):
            stats["errors"] += 1
            error: dict[str, Any] = {"line": line, "error": item.message}
            if item.field:
                error["field"] = item.field
            out.write(orjson.dumps(error) + b"\n")
            continue
        # Every match is written; ``limit`` caps only the near misses shown beside them.
        results = screener.screen(item, threshold=threshold, limit=None).with_matches(limit)
        stats["records"] += 1
        stats["with_matches"] += any(r.match for r in results)
        out.write(orjson.dumps({"id": item.id, "results": [_brief(r.to_dict()) for r in results]})
                  + b"\n")
    return stats


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    keys = ("entity_id", "name", "list", "score", "match", "explanation")
    return {k: result[k] for k in keys}


def match_pairs(path: Path, out: IO[bytes], config: MatchConfig = DEFAULT_CONFIG,
                threshold: float | None = None) -> dict[str, int]:
    """Score each ``{"left": <FtM entity>, "right": <FtM entity>}`` line of ``path``."""
    stats = {"pairs": 0, "errors": 0, "matches": 0}
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            from clearance.model.ftm import ftm_to_entity

            try:
                pair = orjson.loads(line)
                left = ftm_to_entity(pair["left"], source="left")
                right = ftm_to_entity(pair["right"], source="right")
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                stats["errors"] += 1
                out.write(orjson.dumps({"line": number, "error": f"invalid pair: {exc}"}) + b"\n")
                continue
            result = compare(prepare_query(Query.from_entity(left)), prepare_entity(right),
                             config, threshold=threshold)
            stats["pairs"] += 1
            stats["matches"] += result.match
            out.write(orjson.dumps({"score": result.score, "match": result.match,
                                    "explanation": result.explanation}) + b"\n")
    return stats
