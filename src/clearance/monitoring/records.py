"""Monitored records: reading them from a file, their stable id and their fingerprint."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from clearance.errors import FormatError
from clearance.matching import Query
from clearance.screening.files import RecordError, _query


@dataclass(slots=True)
class MonitoredRecord:
    """A record to keep screened: a stable id, what is screened, and its fingerprint."""

    id: str
    query: Query

    @property
    def data(self) -> dict[str, Any]:
        """The screened fields, canonical (no id, no empty values)."""
        data = self.query.to_dict()
        data.pop("id", None)
        return data

    @property
    def fingerprint(self) -> str:
        """sha256 of the canonical screened fields: a change means a re-screen."""
        return fingerprint(self.data)


def fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


def derive_id(query: Query) -> str:
    """A stable id for a record that has none: from its name, schema and birth date."""
    basis = "|".join((" ".join(query.name.lower().split()), (query.schema or "").lower(),
                      query.birth_date or ""))
    return "r-" + hashlib.sha256(basis.encode()).hexdigest()[:16]


def query_from_data(record_id: str, data: dict[str, Any]) -> Query:
    return Query(id=record_id, **data)


def read_monitor_file(path: Path, id_col: str | None = None
                      ) -> Iterator[tuple[int, MonitoredRecord | RecordError]]:
    """(line, record or error) for each row of a CSV or JSON-lines file.

    Columns as for ``screen-file`` (``files._query`` maps them); the id comes
    from ``id_col`` (default ``id``) or, when absent or empty, is derived.
    """
    column = id_col or "id"
    for line, row in _rows(path, column, id_col is not None):
        if isinstance(row, RecordError):
            yield line, row
            continue
        given = row.get(column)
        row = {k: v for k, v in row.items() if k != "id"}
        item = _query(row, line)
        if isinstance(item, RecordError):
            yield line, item
            continue
        record_id = str(given).strip() if given not in (None, "") else derive_id(item)
        item.id = record_id
        yield line, MonitoredRecord(record_id, item)


def _rows(path: Path, column: str, required: bool
          ) -> Iterator[tuple[int, dict[str, Any] | RecordError]]:
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        with path.open(encoding="utf-8") as fh:
            for number, text in enumerate(fh, 1):
                if not text.strip():
                    continue
                try:
                    row = orjson.loads(text)
                except orjson.JSONDecodeError as exc:
                    yield number, RecordError(number, f"invalid JSON: {exc}")
                    continue
                if not isinstance(row, dict):
                    yield number, RecordError(number, "each line must be a JSON object")
                    continue
                yield number, row
        return
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, dialect="excel-tab" if path.suffix.lower() == ".tsv"
                                else "excel")
        fields = reader.fieldnames or []
        if "name" not in fields:
            raise FormatError("the file needs a 'name' column", path=path, line=1)
        if required and column not in fields:
            raise FormatError(f"the file has no id column {column!r}", path=path, line=1)
        for row in reader:
            yield reader.line_num, row
