"""An interrupted import resumes: a history import killed with SIGKILL part-way, then run
again, ends as an uninterrupted one; a mirror update run twice skips what it imported."""

from __future__ import annotations

import io
import json
import lzma
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from clearance.store import Store
from clearance.updates import import_paths, update_from_mirror

HISTORY = "ofac_sdn_history/sdn_history.tar.xz"
UNTIL = "sdn_2021-09-22"
"""The first 11 versions of the real history (2021-08-18 to 2021-09-21)."""


@pytest.fixture(scope="module")
def small_history(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A history archive of the real one's first members, built in a temporary folder."""
    target = tmp_path_factory.mktemp("history") / "sdn_history.tar.xz"
    with lzma.open(data_dir / HISTORY) as raw, tarfile.open(fileobj=raw, mode="r|") as source, \
            tarfile.open(target, "w:xz") as out:
        for member in source:
            if member.isfile() and Path(member.name).name < UNTIL:
                data = source.extractfile(member).read()  # type: ignore[union-attr]
                out.addfile(member, io.BytesIO(data))
    return target


def _versions(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT seq, published, sha256, entity_count, added, removed, "
                            "changed FROM list_version ORDER BY seq").fetchall()


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM list_version").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def _import(home: Path, archive: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "CLEARANCE_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "clearance.cli.main", "lists", "import",
                             str(archive), "--no-rescreen", "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_killed_history_import_resumes_to_the_same_end(small_history: Path,
                                                         tmp_path: Path) -> None:
    reference = Store.open(f"sqlite:///{tmp_path / 'reference.db'}")
    import_paths(reference, [small_history])
    expected = _versions(tmp_path / "reference.db")
    assert len(expected) >= 8

    home = tmp_path / "home"
    db = home / "clearance.db"
    first = _import(home, small_history)
    deadline = time.monotonic() + 300
    while _count(db) < 3 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    assert first.returncode == -signal.SIGKILL, "the import ended before it was killed"
    done = _count(db)
    assert 3 <= done < len(expected), done

    again = _import(home, small_history)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert _versions(db) == expected
    # The versions already there were recognised, not imported again.
    statuses = [o["status"] for o in json.loads(out)]
    assert statuses.count("imported") == len(expected) - done, statuses
    assert set(statuses) == {"imported", "unchanged"}
    entities = {(e.id, e.content_hash()) for e in Store.open(f"sqlite:///{db}").entities()}
    assert entities == {(e.id, e.content_hash()) for e in reference.entities()}


def test_a_mirror_update_run_again_skips_what_it_imported(data_dir: Path,
                                                          tmp_path: Path) -> None:
    mirror = tmp_path / "mirror" / "ofac_sdn"
    mirror.mkdir(parents=True)
    for day in ("2021-07-07", "2024-05-03"):
        shutil.copytree(data_dir / "ofac_sdn" / day, mirror / day)
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    outcomes = update_from_mirror(store, tmp_path / "mirror")
    assert [o.status for o in outcomes] == ["imported", "imported"], outcomes
    again = update_from_mirror(store, tmp_path / "mirror")
    assert [o.status for o in again] == ["unchanged", "unchanged"], again
    assert [v.seq for v in store.versions()] == [1, 2]
