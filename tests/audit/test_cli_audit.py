"""The audit, cases and db commands as a user runs them, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

import clearance
from clearance.matching import DEFAULT_CONFIG
from clearance.store import migrate

FIXTURE = Path(clearance.__file__).parent / "data" / "zte_history.yaml"


def run(*args: str, home: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLEARANCE_HOME": str(home), "CLEARANCE_DATABASE_URL": url,
           "CLEARANCE_ACTOR": "tester", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "clearance.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=180)


def test_screen_decide_verify_tamper_export(db_url: str, tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run(*args, home=tmp_path, url=db_url)

    # The CLI starts slowly (imports), so the PostgreSQL run skips what adds nothing there.
    full = db_url.startswith("sqlite")
    upgraded = json.loads(cli("db", "upgrade", "--json").stdout)
    assert (upgraded["from"], upgraded["to"]) == (None, migrate.head_revision())
    assert cli("lists", "import", str(FIXTURE)).returncode == 0

    first = json.loads(cli("screen", "ZTE Corporation", "--as-of", "2018-05-01",
                           "--json").stdout)
    assert first["results"][0]["entity_id"] == "zte_history:zte-corporation"
    assert [a["status"] for a in first["alerts"]] == ["new"]
    case_id = first["alerts"][0]["case_id"]
    if full:
        listed = json.loads(cli("cases", "list", "--json").stdout)
        assert [(c["id"], c["state"], c["open_alerts"]) for c in listed] == [
            (case_id, "open", 1)]
    decided = cli("cases", "decide", str(case_id), "--decision", "false-positive", "--reason",
                  "different-entity", "--note", "a namesake", "--actor", "alice", "--json")
    assert decided.returncode == 0, decided.stderr
    assert json.loads(decided.stdout)["to_state"] == "closed_false_positive"
    second = json.loads(cli("screen", "ZTE Corporation", "--as-of", "2018-05-01",
                            "--json").stdout)
    assert [a["status"] for a in second["alerts"]] == ["suppressed"]
    if full:
        shown = json.loads(cli("cases", "show", str(case_id), "--json").stdout)
        assert [d["actor"] for d in shown["decisions"]] == ["alice"]
        assert [s["seq"] for s in shown["screenings"]] == [1, 2, 3]

    ok = cli("audit", "verify")
    assert ok.returncode == 0 and ok.stdout.startswith("OK: 3 records checked")
    out = tmp_path / "report"
    exported = json.loads(cli("audit", "export", "--from", "2000-01-01", "--to", "2999-12-31",
                              "-o", str(out), "--json").stdout)
    assert exported["records"] == 3 and exported["chain"]["ok"] is True
    page = Path(exported["files"]["html"]).read_text(encoding="utf-8")
    assert "Chain verified" in page and "ZTE Corporation" in page and "<script" not in page
    rows = Path(exported["files"]["csv"]).read_text(encoding="utf-8").splitlines()
    assert len(rows) == 4 and rows[0].startswith("seq,recorded_at,kind")
    record = json.loads(Path(exported["files"]["json"]).read_text())["records"][0]
    assert record["actor"] == "tester" and record["channel"] == "cli"
    assert record["payload"]["versions"][0]["source"] == "zte_history"
    assert record["payload"]["threshold"] == DEFAULT_CONFIG.threshold
    assert record["payload"]["normalised"]["names"][0]["tokens"] == ["zte"]
    assert record["payload"]["results"][0]["explanation"]["features"]

    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_record SET actor = 'mallory' WHERE seq = 2"))
    engine.dispose()
    bad = cli("audit", "verify")
    assert bad.returncode == 8
    assert bad.stdout.startswith("TAMPERED: 3 records checked")
    assert "[changed] seq 2, record id" in bad.stdout
    if full:
        refused = cli("audit", "purge", "--before", "2999-01-01")
        assert refused.returncode == 8 and "does not verify" in refused.stderr
