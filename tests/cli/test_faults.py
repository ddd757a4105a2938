"""Faults and hostile input at the command line: a name with nothing to compare, a list
without a date, a missing audit key; each a clear error or a clear outcome, never a silent
one. Run as a user runs it: the console script in a subprocess, on a real SQLite store."""

from __future__ import annotations

import os
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


def test_audit_verify_with_the_key_missing_writes_nothing_and_exits_9(tmp_path: Path) -> None:
    assert run("lists", "import", str(FIXTURE), home=tmp_path).returncode == 0
    assert run("screen", "ZTE Corporation", home=tmp_path).returncode == 0
    key = tmp_path / "audit.key"
    kept = tmp_path / "audit.key.kept"
    key.rename(kept)
    missing = run("audit", "verify", home=tmp_path)
    assert missing.returncode == 9, (missing.stdout, missing.stderr)
    assert "audit key file is missing" in missing.stderr and "Traceback" not in missing.stderr
    assert not key.exists()  # verifying never writes a key
    assert sorted(p.name for p in tmp_path.iterdir() if "key" in p.name) == ["audit.key.kept"]
    kept.rename(key)
    assert run("audit", "verify", home=tmp_path).returncode == 0
    assert run("screen", "ZTE Corporation", home=tmp_path).returncode == 0  # writers go on
    assert run("audit", "verify", home=tmp_path).returncode == 0
