"""Screening a file of records, and scoring pairs of records (record linkage).

Input files are CSV or JSON lines with the columns ``id, name, schema,
birth_date, nationality, country, id_number, address`` (all but ``name``
optional). Output is JSON lines in input order. A record that cannot be read
is reported with its line number and skipped; the run goes on.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from clearance.errors import FormatError
from clearance.matching import Query, compare, prepare_entity, prepare_query
from clearance.matching.config import DEFAULT_CONFIG, MatchConfig
from clearance.screening.screener import Screener

COLUMNS = ("id", "name", "schema", "birth_date", "nationality", "country", "id_number",
           "address")


@dataclass
class RecordError:
    """A record that could not be screened: where and why."""

    line: int
    message: str


def read_records(path: Path) -> Iterator[tuple[int, Query | RecordError]]:
    """(line number, query or error) for each record of a CSV or JSON-lines file."""
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        yield from _read_jsonl(path)
    else:
        yield from _read_csv(path)


def _read_csv(path: Path) -> Iterator[tuple[int, Query | RecordError]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "name" not in reader.fieldnames:
            raise FormatError("the file needs a 'name' column", path=path, line=1)
        for row in reader:
            yield reader.line_num, _query(row, reader.line_num)


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
    name = str(row.get("name") or "").strip()
    if not name:
        return RecordError(line, "no name")
    countries = [str(row[k]) for k in ("nationality", "country") if row.get(k)]
    return Query(
        name=name, schema=row.get("schema") or None, birth_date=row.get("birth_date") or None,
        countries=countries,
        identifiers=[str(row["id_number"])] if row.get("id_number") else [],
        address=row.get("address") or None,
        id=str(row["id"]) if row.get("id") not in (None, "") else str(line),
    )


def screen_file(screener: Screener, path: Path, out: IO[bytes], threshold: float | None = None,
                limit: int = 10) -> dict[str, int]:
    """Screen every record of ``path``, writing one JSON line per record to ``out``."""
    stats = {"records": 0, "errors": 0, "with_matches": 0}
    for line, item in read_records(path):
        if isinstance(item, RecordError):
            stats["errors"] += 1
            out.write(orjson.dumps({"line": line, "error": item.message}) + b"\n")
            continue
        found = screener.screen(item, threshold=threshold, limit=None)
        # Every match is written; ``limit`` caps only the near misses shown beside them.
        results = found[:max(limit, found.matches)]
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
