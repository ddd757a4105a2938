"""One writer at a time on a SQLite file, queued by the kernel instead of by sleeping.

SQLite lets one connection write at a time; the others wait in its busy handler,
which sleeps 1, 2, 5, 10 ... up to 100 ms between tries. With several API worker
processes (and threads) appending to the audit chain, those sleeps made the
99th-percentile request wait most of a second while the lock itself was free
within a millisecond. An exclusive ``flock`` on a file beside the database
wakes the next writer as soon as the lock is released. PostgreSQL needs none of
this (its row lock queues writers) and gets a plain transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Connection, Engine

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: SQLite's own busy handler only
    fcntl = None  # type: ignore[assignment]


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """``engine.begin()``, holding the database's writer lock when it is a SQLite file."""
    lock = _lock_path(engine)
    if lock is None or fcntl is None:
        with engine.begin() as conn:
            yield conn
        return
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            with engine.begin() as conn:
                yield conn
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _lock_path(engine: Engine) -> Path | None:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database)
    return path.with_name(path.name + ".writer-lock")
