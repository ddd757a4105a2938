"""Writing batch screening results as CSV, JSON lines or Parquet, resumably.

Every writer appends rows of :data:`COLUMNS` and can ``commit()``: make what was written
durable (flushed and fsynced) and return a small state for the journal, from which a new
writer truncates the output back to the last commit after an interruption
(:meth:`Writer.restore`). Text outputs are truncated to the committed byte size; Parquet,
which cannot be appended to, is written as committed part files in ``OUT.parts/`` and
joined into the one output file by ``close()``.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from clearance.errors import ConfigError

OUTPUT_FORMATS = ("csv", "jsonl", "parquet")

COLUMNS: tuple[tuple[str, str], ...] = (
    ("line", "int64"), ("record_id", "string"), ("name", "string"), ("status", "string"),
    ("hits", "int32"), ("rank", "int32"), ("entity_id", "string"), ("entity_name", "string"),
    ("matched_name", "string"), ("entity_schema", "string"), ("source", "string"),
    ("lists", "string"), ("programs", "string"), ("score", "double"), ("restricted", "bool"),
    ("reasons", "string"), ("hit_ids", "string"), ("error", "string"),
)
"""The output columns and their Arrow types, the same in every format (and in Spark).

``status`` is ``hit`` (a result at or above the threshold), ``clear`` (none; only written
with ``--all``) or ``error`` (the row could not be read; only with ``--all``). ``hits`` is
the record's number of hits, ``rank`` the hit's rank among them, ``hit_ids`` all their
entity ids (``;``-separated), ``reasons`` the features that contributed, signed.
"""

COLUMN_NAMES = tuple(name for name, _ in COLUMNS)


def arrow_schema():  # type: ignore[no-untyped-def]
    """The output columns as a pyarrow schema."""
    import pyarrow as pa

    types = {"int64": pa.int64(), "int32": pa.int32(), "string": pa.string(),
             "double": pa.float64(), "bool": pa.bool_()}
    return pa.schema([(name, types[kind]) for name, kind in COLUMNS])


def spark_ddl() -> str:
    """The output columns as a Spark DDL schema string (for ``mapInArrow``)."""
    kinds = {"int64": "bigint", "int32": "int", "string": "string", "double": "double",
             "bool": "boolean"}
    return ", ".join(f"`{name}` {kinds[kind]}" for name, kind in COLUMNS)


def output_format(path: Path | None, fmt: str | None = None) -> str:
    """The output format: explicit, else by extension, else JSON lines."""
    if fmt:
        if fmt not in OUTPUT_FORMATS:
            raise ConfigError(f"unknown output format {fmt!r}; known: "
                              f"{', '.join(OUTPUT_FORMATS)}")
        return fmt
    suffix = path.suffix.lower() if path else ""
    return {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}.get(suffix, "jsonl")


class Writer:
    """Appends result rows to one output; subclasses know the format."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def write(self, rows: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def commit(self) -> dict[str, Any]:
        """Make everything written so far durable; the state to restore to."""
        raise NotImplementedError

    def restore(self, state: dict[str, Any]) -> None:
        """Drop whatever was written after the commit that returned ``state``."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        """Release the file without finishing it (the run was interrupted)."""


class _TextWriter(Writer):
    """CSV or JSON lines: appended to the file, truncated back to a commit on resume."""

    def __init__(self, path: Path | None, stream: IO[bytes] | None = None,
                 header: bool = True) -> None:
        super().__init__(path)
        self.header = header
        if path is None:
            self.fh: IO[bytes] = stream or sys.stdout.buffer
            self._own = False
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.fh = path.open("ab" if path.exists() else "wb")
            self._own = True
        self._started = self._tell() > 0

    def _tell(self) -> int:
        try:
            return self.fh.tell() if self._own else 0
        except (OSError, ValueError):
            return 0

    def restore(self, state: dict[str, Any]) -> None:
        size = int(state.get("size", 0))
        self.fh.flush()
        if self._tell() < size:
            raise ConfigError(f"cannot resume: {self.path} is shorter than the journal "
                              f"records ({self._tell()} < {size} bytes); start again")
        self.fh.truncate(size)
        self.fh.seek(size)
        self._started = size > 0

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not self._started:
            self._start()
            self._started = True
        if rows:
            self.fh.write(self._encode(rows))

    def _start(self) -> None:
        pass

    def _encode(self, rows: list[dict[str, Any]]) -> bytes:
        raise NotImplementedError

    def commit(self) -> dict[str, Any]:
        if not self._started:
            self._start()
            self._started = True
        self.fh.flush()
        if self._own:
            os.fsync(self.fh.fileno())
        return {"size": self._tell()}

    def close(self) -> None:
        self.commit()
        if self._own:
            self.fh.close()

    def abort(self) -> None:
        if self._own:
            self.fh.close()


class CsvWriter(_TextWriter):
    def __init__(self, path: Path | None, stream: IO[bytes] | None = None,
                 columns: tuple[str, ...] = COLUMN_NAMES) -> None:
        self.columns = columns
        super().__init__(path, stream)

    def _start(self) -> None:
        self.fh.write(self._csv([dict(zip(self.columns, self.columns, strict=True))]))

    def _encode(self, rows: list[dict[str, Any]]) -> bytes:
        return self._csv(rows)

    def _csv(self, rows: list[dict[str, Any]]) -> bytes:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in self.columns])
        return buf.getvalue().encode("utf-8")


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class JsonlWriter(_TextWriter):
    def _encode(self, rows: list[dict[str, Any]]) -> bytes:
        return b"".join(orjson.dumps(row) + b"\n" for row in rows)


class ParquetWriter(Writer):
    """Committed part files in ``OUT.parts/``, joined into ``OUT`` when the run ends."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.parts = Path(str(path) + ".parts")
        self.parts.mkdir(parents=True, exist_ok=True)
        self.committed = len(list(self.parts.glob("part-*.parquet")))
        self.buffer: list[dict[str, Any]] = []

    def restore(self, state: dict[str, Any]) -> None:
        self.committed = int(state.get("parts", 0))
        missing = [n for n in range(self.committed)
                   if not (self.parts / f"part-{n:06d}.parquet").exists()]
        if missing:
            raise ConfigError(f"cannot resume: {len(missing)} committed part file(s) of "
                              f"{self.path} are missing from {self.parts}; start again")
        for part in self.parts.glob("part-*"):
            number = int(part.name.split("-")[1].split(".")[0])
            if number >= self.committed or not part.name.endswith(".parquet"):
                part.unlink()
        self.buffer.clear()

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.buffer.extend(rows)

    def commit(self) -> dict[str, Any]:
        if self.buffer:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pylist(self.buffer, schema=arrow_schema())
            final = self.parts / f"part-{self.committed:06d}.parquet"
            tmp = final.with_suffix(".tmp")
            pq.write_table(table, tmp)
            with tmp.open("rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, final)
            _fsync_dir(self.parts)
            self.committed += 1
            self.buffer.clear()
        return {"parts": self.committed}

    def close(self) -> None:
        import pyarrow.parquet as pq

        self.commit()
        assert self.path is not None
        tmp = self.path.with_name(self.path.name + ".tmp")
        with pq.ParquetWriter(tmp, arrow_schema()) as out:
            for number in range(self.committed):
                out.write_table(pq.read_table(self.parts / f"part-{number:06d}.parquet"))
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        shutil.rmtree(self.parts, ignore_errors=True)


def open_writer(path: Path | None, fmt: str, stream: IO[bytes] | None = None) -> Writer:
    if fmt == "parquet":
        if path is None:
            raise ConfigError("Parquet output needs --output FILE")
        return ParquetWriter(path)
    if fmt == "csv":
        return CsvWriter(path, stream)
    return JsonlWriter(path, stream)


ERROR_COLUMNS = ("line", "error")


def errors_writer(path: Path | None) -> CsvWriter | None:
    """The errors file beside the output: ``line,error`` for every row that was skipped."""
    return CsvWriter(path, columns=ERROR_COLUMNS) if path is not None else None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_output(path: Path, fmt: str) -> list[dict[str, Any]]:
    """The rows of a finished output (for tests and comparisons)."""
    return list(iter_output(path, fmt))


def iter_output(path: Path, fmt: str) -> Iterator[dict[str, Any]]:
    """The rows of a finished output, streamed, typed as in :data:`COLUMNS`."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=5000):
            yield from batch.to_pylist()
        return
    if fmt == "jsonl":
        with path.open("rb") as fh:
            for line in fh:
                if line.strip():
                    yield orjson.loads(line)
        return
    types = dict(COLUMNS)
    with path.open(encoding="utf-8", newline="") as fh:
        for raw in csv.DictReader(fh):
            yield {k: _typed(v, types.get(k, "string")) for k, v in raw.items()}


def _typed(value: str, kind: str) -> Any:
    if value == "":
        return None
    if kind in ("int64", "int32"):
        return int(value)
    if kind == "double":
        return float(value)
    if kind == "bool":
        return value == "true"
    return value
