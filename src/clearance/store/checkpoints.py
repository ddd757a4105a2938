"""Checkpoints of a SQLite file's write-ahead log in a background thread, for services.

In WAL mode SQLite copies the log back into the database (a checkpoint) from
within whichever commit takes the log past 1,000 pages. Under the API's load
that was one audit append in a hundred or two, each held 5 to 10 ms by the copy:
the whole 99th-percentile latency of ``POST /screen`` (audit write p99 6.7 ms
with it, 1.3 ms without). A service therefore turns the automatic checkpoint off
on its connections and runs a passive checkpoint every fraction of a second in
a thread of its own, which waits on SQLite's I/O with the GIL released. A
passive checkpoint neither blocks nor waits for writers and readers, and once it
has copied the whole log the next commit starts the log over, so its size stays
bounded as before. Other processes on the same file (the CLI, a monitor run)
keep SQLite's default.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine

from clearance.store.writers import WriterBusy, sqlite_file, writer_lock

log = logging.getLogger("clearance.store.checkpoints")

INTERVAL = 0.2
"""Seconds between two background checkpoints (a few hundred small commits at most)."""

WAIT_FRAMES = 500
"""Log frames past which a checkpoint waits for the writer lock (SQLite's own checkpoint
comes at 1,000)."""


@contextmanager
def background_checkpoints(engine: Engine, interval: float = INTERVAL) -> Iterator[None]:
    """While inside, ``engine``'s connections leave checkpoints to a background thread.

    Nothing happens for engines that are not a SQLite file. Nested and concurrent
    uses on one engine (several apps on one store, in tests) share one thread, which
    stops with the last of them; the engine's connections then checkpoint as usual.
    """
    path = sqlite_file(engine)
    if path is None:
        yield
        return
    with _lock:
        worker = _workers.get(engine)
        if worker is None:
            worker = _workers[engine] = _Checkpointer(engine, path, interval)
            worker.start()
        worker.users += 1
    try:
        yield
    finally:
        with _lock:
            worker.users -= 1
            if worker.users == 0:
                del _workers[engine]
                worker.stop()


class _Checkpointer:
    def __init__(self, engine: Engine, path: Path, interval: float) -> None:
        self.engine = engine
        self.path = path
        self.interval = interval
        self.users = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoints", daemon=True)

    def start(self) -> None:
        event.listen(self.engine, "connect", _no_automatic_checkpoints)
        self.engine.dispose()  # pooled connections reopen without them
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        event.remove(self.engine, "connect", _no_automatic_checkpoints)
        self.engine.dispose()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=0, isolation_level=None,
                               check_same_thread=False)
        try:
            failed = False
            while True:
                stopping = self._stopping.wait(self.interval)
                try:
                    self._checkpoint(conn)
                    failed = False
                except sqlite3.Error as exc:  # logged once per run of failures, then retried
                    if not failed:
                        log.warning("checkpoint of %s failed: %s", self.path, exc)
                    failed = True
                if stopping:
                    return
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        """Copy the log while writers go on, then the little they wrote meanwhile with
        them held off (a few frames): the log starts over only at a commit that finds
        it copied in full, which commits made during a long copy never do.

        The writers are held off only if the lock comes free at once, unless the log
        has grown past :data:`WAIT_FRAMES`: writers that commit back to back leave
        the lock free for microseconds, and the log would grow without end.
        """
        _, frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        with contextlib.suppress(WriterBusy), \
                writer_lock(self.engine, wait=frames >= WAIT_FRAMES):
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _no_automatic_checkpoints(dbapi_conn: object, _record: object) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


_lock = threading.Lock()
_workers: WeakKeyDictionary[Engine, _Checkpointer] = WeakKeyDictionary()
