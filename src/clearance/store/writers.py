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

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Connection, Engine

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: SQLite's own busy handler only
    fcntl = None  # type: ignore[assignment]


class WriterBusy(Exception):
    """Another writer holds the database's writer lock (see ``write_transaction(wait=False)``)."""


def local_writes(engine: Engine) -> bool:
    """Whether ``engine`` is a SQLite file, whose writes take microseconds and whose writer
    lock can be tried without waiting (``write_transaction(wait=False)``)."""
    return _lock_path(engine) is not None and fcntl is not None


@contextmanager
def write_transaction(engine: Engine, wait: bool = True) -> Iterator[Connection]:
    """``engine.begin()``, holding the database's writer lock when it is a SQLite file.

    With ``wait=False`` a lock that stays held by another writer for more than
    ``BRIEF_WAIT`` seconds (a list import, not another request's append) raises
    :class:`WriterBusy` instead of being waited for.
    """
    with writer_lock(engine, wait), engine.begin() as conn:
        yield conn


@contextmanager
def writer_lock(engine: Engine, wait: bool = True) -> Iterator[None]:
    """Hold the writer lock of ``engine``'s SQLite file (nothing for other databases).

    ``wait=False``: raise :class:`WriterBusy` if it stays taken for ``BRIEF_WAIT``.
    """
    lock = _lock_path(engine)
    if lock is None or fcntl is None:
        yield
        return
    with open(lock, "a") as fh:
        if wait:
            fcntl.flock(fh, fcntl.LOCK_EX)
        elif not _lock_briefly(fh.fileno()):
            raise WriterBusy(f"{engine.url.database} is being written to")
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


BRIEF_WAIT = 0.02
"""Seconds ``write_transaction(wait=False)`` tries the lock for: an append holds it for a
fraction of a millisecond, an import for seconds."""


def _lock_briefly(fd: int) -> bool:
    """Take the lock on ``fd`` if it comes free within ``BRIEF_WAIT`` seconds."""
    deadline = time.monotonic() + BRIEF_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.0001)


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of a SQLite engine (None for other databases, and in memory)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _lock_path(engine: Engine) -> Path | None:
    path = sqlite_file(engine)
    return None if path is None else path.with_name(path.name + ".writer-lock")
