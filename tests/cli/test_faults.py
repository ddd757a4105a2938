"""Faults and hostile input at the command line: a name with nothing to compare, a list
without a date, a missing audit key; each a clear error or a clear outcome, never a silent
one. Run as a user runs it: the console script in a subprocess, on a real SQLite store."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import clearance

FIXTURE = Path(clearance.__file__).parent / "data" / "zte_history.yaml"


def run(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "CLEARANCE_HOME": str(home), "COLUMNS": "200", **env}
    return subprocess.run([sys.executable, "-m", "clearance.cli.main", *args], env=environ,
                          capture_output=True, text=True, timeout=300)


def test_a_name_with_nothing_left_after_normalisation_exits_2(tmp_path: Path) -> None:
    assert run("lists", "import", str(FIXTURE), home=tmp_path).returncode == 0
    for name in ("\u200b\u200c\ufeff", "\x01\x02\x1f", "\u200b - ."):
        done = run("screen", name, "--json", home=tmp_path)
        assert done.returncode == 2, (name, done.stdout, done.stderr)
        assert "nothing is left of the name" in done.stderr
        assert "Traceback" not in done.stderr
    assert run("screen", "ZTE Corporation", "--json", home=tmp_path).returncode == 0


def test_audit_verify_without_its_key_writes_nothing_and_exits_11(tmp_path: Path) -> None:
    assert run("lists", "import", str(FIXTURE), home=tmp_path).returncode == 0
    assert run("screen", "ZTE Corporation", home=tmp_path).returncode == 0
    key = tmp_path / "audit.key"
    kept = tmp_path / "audit.key.kept"
    key.rename(kept)
    missing = run("audit", "verify", home=tmp_path)
    assert missing.returncode == 11, (missing.stdout, missing.stderr)
    assert "audit key file is missing" in missing.stderr and "Traceback" not in missing.stderr
    assert not key.exists()  # verifying never writes a key
    assert sorted(p.name for p in tmp_path.iterdir() if "key" in p.name) == ["audit.key.kept"]
    kept.rename(key)
    assert run("audit", "verify", home=tmp_path).returncode == 0
    assert run("screen", "ZTE Corporation", home=tmp_path).returncode == 0  # writers go on
    assert run("audit", "verify", home=tmp_path).returncode == 0


UNDATED = [
    {"id": "acme-1", "schema": "Company", "datasets": ["acme_watch"],
     "properties": {"name": ["Quillfeather Maritime Holdings"], "country": ["pa"]}},
    {"id": "acme-2", "schema": "Person", "datasets": ["acme_watch"],
     "properties": {"name": ["Borislav Tsvetkovich Undatedov"]}},
]


def test_a_list_without_a_date_is_in_force_from_its_import(tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    folder.mkdir()
    path = folder / "watchlist.ftm.json"
    path.write_text("".join(json.dumps(e) + "\n" for e in UNDATED), encoding="utf-8")
    home = tmp_path / "home"
    imported = run("lists", "import", str(path), "--json", home=home)
    assert imported.returncode == 0, imported.stderr
    shown = json.loads(run("lists", "show", "--json", home=home).stdout)
    assert [(v["source"], v["entity_count"], v["published"]) for v in shown] == [
        ("acme_watch", 2, None)]
    start = shown[0]["effective_from"]
    assert start and start <= shown[0]["imported_at"][:19]  # in force from its import
    table = run("lists", "show", home=home).stdout
    assert "its import: the file has no date" in table

    hit = run("screen", "Quillfeather Maritime Holdings", "--json", home=home)
    assert hit.returncode == 0, hit.stderr
    results = json.loads(hit.stdout)["results"]
    assert results and results[0]["entity_id"] == "acme_watch:acme-1", results
    assert results[0]["match"] is True
    person = json.loads(run("screen", "Borislav Undatedov", "--json", home=home).stdout)
    assert person["results"][0]["entity_id"] == "acme_watch:acme-2"
    # Not in force before it was imported: an earlier "as of" has no list in force at all,
    # and is refused rather than answered "no match".
    before = run("screen", "Quillfeather Maritime Holdings", "--as-of", "2020-01-01", "--json",
                 home=home)
    assert before.returncode == 9 and "no list is in force on 2020-01-01" in before.stderr


def test_undated_versions_of_an_older_store_are_put_in_force(tmp_path: Path) -> None:
    """Migration 0006: a store written before holds undated versions with no effective
    date at all; upgrading gives them their import time."""
    path = tmp_path / "watchlist.ftm.json"
    path.write_text("".join(json.dumps(e) + "\n" for e in UNDATED), encoding="utf-8")
    home = tmp_path / "home"
    assert run("lists", "import", str(path), home=home).returncode == 0
    with sqlite3.connect(home / "clearance.db") as conn:  # as the importer left it before
        conn.execute("UPDATE list_version SET effective_from = NULL")
        conn.execute("UPDATE alembic_version SET version_num = '0005'")
    assert run("db", "upgrade", home=home).returncode == 0
    with sqlite3.connect(home / "clearance.db") as conn:
        start, imported = conn.execute(
            "SELECT effective_from, imported_at FROM list_version").fetchone()
    assert start == imported[:19]
    hit = json.loads(run("screen", "Quillfeather Maritime Holdings", "--json",
                         home=home).stdout)
    assert hit["results"][0]["entity_id"] == "acme_watch:acme-1"
