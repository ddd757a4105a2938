"""A service's SQLite write-ahead log is checkpointed by a background thread, and stays small."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import text

from clearance.store import Store
from clearance.store.checkpoints import background_checkpoints
from clearance.store.writers import write_transaction

COMMITS = 1500
"""Of one 3,000-byte row each: a page or more per commit, 1,500+ log pages in all."""


def _store(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'x.db'}")
    with store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)"))
    return store


def _autocheckpoint(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def _write_and_measure_log(store: Store) -> int:
    """Pages in the log after the commits (the largest it got: it restarts, not shrinks).

    The writer lets other threads run between commits, as a service does between
    requests: in a full test run, threads left by other tests share the GIL, and a
    writer that never lets go of it starves the checkpoint thread for tens of ms.
    """
    for _ in range(COMMITS):
        with write_transaction(store.engine) as conn:
            conn.execute(text("INSERT INTO blobs (body) VALUES (:body)"),
                         {"body": os.urandom(3000)})
        time.sleep(0)
    wal = Path(str(store.engine.url.database) + "-wal")
    return wal.stat().st_size // 4096


def test_connections_leave_checkpoints_to_the_thread_while_inside(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert _autocheckpoint(store) == 1000
    with background_checkpoints(store.engine):
        assert _autocheckpoint(store) == 0
        with background_checkpoints(store.engine):  # a second app on the same store
            assert _autocheckpoint(store) == 0
        assert _autocheckpoint(store) == 0  # the first still runs
    assert _autocheckpoint(store) == 1000


def test_the_log_stays_small_as_with_sqlites_own_checkpoints(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with background_checkpoints(store.engine, interval=0.01):
        pages = _write_and_measure_log(store)
    assert pages < COMMITS * 0.7, pages


def test_without_the_thread_nothing_would_checkpoint(tmp_path: Path) -> None:
    """The control: with the thread asleep, the log holds every commit, so the test above
    measures the thread's work (and SQLite's own checkpoints are really off)."""
    store = _store(tmp_path)
    with background_checkpoints(store.engine, interval=3600):
        pages = _write_and_measure_log(store)
    assert pages >= COMMITS, pages
    with store.engine.connect() as conn:  # the data is all there once checkpointed on exit
        assert conn.exec_driver_sql("SELECT count(*) FROM blobs").scalar_one() == COMMITS


def test_other_databases_are_left_alone() -> None:
    store = Store.open("sqlite://")
    with background_checkpoints(store.engine), store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 1000
