"""Many writers at once, threads and processes, on both databases: no record lost, no fork."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from clearance.audit import AuditKey, AuditTrail
from clearance.settings import Settings
from clearance.store import Store

KEY = "concurrency-test-key-" + "0" * 40
WRITER = """
import pathlib, sys, time
from clearance.audit import AuditTrail
from clearance.store import Store
store = Store.open(sys.argv[1])
trail = AuditTrail(store.engine)
trail.key
folder = pathlib.Path(sys.argv[4])
(folder / sys.argv[2]).touch()
while not (folder / "go").exists():  # all writers start together
    time.sleep(0.01)
for i in range(int(sys.argv[3])):
    trail.record("test", {"writer": sys.argv[2], "i": i}, actor=sys.argv[2], channel="process")
"""


def _check(trail: AuditTrail, expected: Counter[str]) -> None:
    report = trail.verify()
    assert report.ok, report.lines()
    records = list(trail.records())
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    assert Counter(r.actor for r in records) == expected
    for actor in expected:  # each writer's records are in its own order
        mine = [r.payload["i"] for r in records if r.actor == actor]
        assert mine == sorted(mine)


def test_threads_share_one_trail(db_url: str) -> None:
    store = Store.open(db_url)
    trail = AuditTrail(store.engine, key=AuditKey(KEY.encode(), "test"))
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            for i in range(30):
                trail.record("test", {"writer": name, "i": i}, actor=name, channel="thread")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    reports: list[list[str]] = []
    done = threading.Event()

    def check() -> None:  # verify runs while the writers write: it must never cry wolf
        while not done.is_set():
            report = trail.verify()
            reports.append([] if report.ok else report.lines())

    threads = [threading.Thread(target=write, args=(f"t{n}",)) for n in range(8)]
    checker = threading.Thread(target=check)
    checker.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    checker.join()
    assert not errors
    assert reports and not [r for r in reports if r]
    _check(trail, Counter({f"t{n}": 30 for n in range(8)}))
    store.engine.dispose()


def test_processes_append_to_one_chain(db_url: str, tmp_path: Path) -> None:
    # The database is fresh: the writers also race to create the schema.
    env = {**os.environ, "CLEARANCE_AUDIT_KEY": KEY}
    names = [f"p{n}" for n in range(4)]
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, db_url, name, "40", str(tmp_path)],
                              env=env, stderr=subprocess.PIPE, text=True) for name in names]
    deadline = time.monotonic() + 240
    while not all((tmp_path / name).exists() for name in names):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.05)
    (tmp_path / "go").touch()
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    store = Store.open(db_url)
    trail = AuditTrail(store.engine, settings=Settings(audit_key=KEY))
    _check(trail, Counter({f"p{n}": 40 for n in range(4)}))
    store.engine.dispose()
