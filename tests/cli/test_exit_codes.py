"""Every exit code the README documents, each from the command a user would type.

README, "Exit codes": 0 success, 2 bad arguments or settings, 3 an unreadable list file,
4 the store refused an operation, 5 not found, 6 network failure, 7 a malformed input
document, 8 the audit chain does not verify, 9 no list in force on the day asked;
``clearance check`` exits with its decision.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import clearance
from clearance import errors

FIXTURE = Path(clearance.__file__).parent / "data" / "zte_history.yaml"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "po-2018-0142.yaml"
README = Path(__file__).resolve().parents[2] / "README.md"
SMALL = ('format: clearance-history/1\nsource: small\npublished: "{day}"\nentities:\n'
         '  - {{key: a, schema: Company, name: Acme {day}}}\n')


def run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy",)}
    return subprocess.run([sys.executable, "-m", "clearance", *args], capture_output=True,
                          text=True, timeout=300,
                          env={**base, "CLEARANCE_HOME": str(home), "COLUMNS": "200", **env})


def test_the_readme_documents_the_codes_the_errors_carry() -> None:
    text = " ".join(README.read_text(encoding="utf-8").split())
    documented = {int(code) for code in re.findall(r"(\d+) [a-z]", text[
        text.index("Exit codes:"):text.index("`clearance check` exits")])}
    carried = {cls.exit_code for cls in vars(errors).values()
               if isinstance(cls, type) and issubclass(cls, errors.ClearanceError)}
    assert documented == {0, 2, 3, 4, 5, 6, 7, 8, 9, 11}
    assert carried - {1} <= documented


def test_0_2_3_4_5(tmp_path: Path) -> None:
    assert run(tmp_path, "lists", "import", str(FIXTURE)).returncode == 0
    assert run(tmp_path, "screen").returncode == 2
    assert run(tmp_path, "screen", "ZTE", "--as-of", "yesterday").returncode == 2
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01\x02 not a list")
    assert run(tmp_path, "lists", "import", str(junk)).returncode == 3
    newer, older = tmp_path / "newer.yaml", tmp_path / "older.yaml"
    newer.write_text(SMALL.format(day="2020-01-01"), encoding="utf-8")
    older.write_text(SMALL.format(day="2019-01-01"), encoding="utf-8")
    assert run(tmp_path, "lists", "import", str(newer)).returncode == 0
    refused = run(tmp_path, "lists", "import", str(older))
    assert refused.returncode == 4, refused.stderr
    assert "older than version 1" in refused.stderr
    assert run(tmp_path, "lists", "show", "nothing").returncode == 5
    assert run(tmp_path, "audit", "show", "999").returncode == 5
    # The fixture's versions start in 2016: a screening as of 2010 has no list in force.
    before = run(tmp_path, "screen", "ZTE Corporation", "--as-of", "2010-01-01")
    assert before.returncode == 9 and "no list is in force" in before.stderr


def test_6_without_network(tmp_path: Path) -> None:
    # Every download goes through a proxy that refuses connections: no network at all.
    dead = "http://127.0.0.1:9"
    done = run(tmp_path, "lists", "update", "--no-rescreen", http_proxy=dead, https_proxy=dead,
               HTTP_PROXY=dead, HTTPS_PROXY=dead, CLEARANCE_DOWNLOAD_TIMEOUT="5")
    assert done.returncode == 6, (done.stdout, done.stderr)
    assert "could not download" in done.stdout and "Traceback" not in done.stderr
    assert run(tmp_path, "lists", "show", "--json").stdout.strip() == "[]"


def test_7_8_and_the_decisions(tmp_path: Path) -> None:
    assert run(tmp_path, "lists", "import", str(FIXTURE)).returncode == 0
    assert run(tmp_path, "check", str(EXAMPLE)).returncode == 30
    assert run(tmp_path, "check", str(EXAMPLE), "--as-of", "2018-08-01").returncode == 0
    malformed = tmp_path / "po.yaml"
    malformed.write_text("date: 2018-05-01\nparties: [{role: shipper}]\n", encoding="utf-8")
    assert run(tmp_path, "check", str(malformed)).returncode == 7
    assert run(tmp_path, "audit", "verify").returncode == 0
    with sqlite3.connect(tmp_path / "clearance.db") as conn:
        conn.execute("UPDATE audit_record SET actor = 'mallory' WHERE seq = 1")
    assert run(tmp_path, "audit", "verify").returncode == 8


@pytest.mark.parametrize(("transaction", "code"), [
    ("date: 2019-03-01\ndestination: CN\nparties: [{role: end_user, name: ZTE Parsian}]\n"
     "items: [{description: chips, eccn: 3A991, value: 10000, origin: us}]\n", 20),
    ("date: 2023-01-01\ndestination: BY\nparties: [{role: end_user, name: Jane Miller}]\n"
     "items: [{description: food, eccn: EAR99, value: 100, origin: us, "
     "food_or_medicine: true}]\n", 10)])
def test_check_licence_required_and_review(transaction: str, code: int, tmp_path: Path) -> None:
    assert run(tmp_path, "lists", "import", str(FIXTURE)).returncode == 0
    path = tmp_path / "po.yaml"
    path.write_text(transaction, encoding="utf-8")
    assert run(tmp_path, "check", str(path)).returncode == code
