"""The command line, run as a user runs it: the installed console script in a subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import clearance

FIXTURE = Path(clearance.__file__).parent / "data" / "zte_history.yaml"


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLEARANCE_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "clearance.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_import_show_screen_history(tmp_path: Path) -> None:
    done = run("lists", "import", str(FIXTURE), "--json", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["status"] == "imported"
    again = run("lists", "import", str(FIXTURE), "--json", home=tmp_path)
    assert json.loads(again.stdout)[0]["status"] == "unchanged"

    shown = json.loads(run("lists", "show", "--json", home=tmp_path).stdout)
    assert [(v["source"], v["entity_count"]) for v in shown] == [("zte_history", 5)]

    hit = run("screen", "Zhongzing Telecommunications Equipment", "--as-of", "2018-05-01",
              "--json", home=tmp_path)
    assert hit.returncode == 0, hit.stderr
    results = json.loads(hit.stdout)["results"]
    assert results[0]["entity_id"] == "zte_history:zte-corporation"
    assert results[0]["lists"] == ["DPL"]
    assert results[0]["match"] is True

    later = json.loads(run("screen", "ZTE Corporation", "--as-of", "2018-08-01", "--json",
                           home=tmp_path).stdout)
    # Off the Denied Persons List by then; the suspended order shows as a note only.
    zte = next(r for r in later["results"] if r["entity_id"] == "zte_history:zte-corporation")
    assert zte["lists"] == [] and zte["restricted"] is False
    assert [(n["list"], n["status"]) for n in zte["notes"]] == [("DPL", "suspended")]

    table = run("screen", "ZTE Parsian", home=tmp_path)
    assert "ZTE Parsian" in table.stdout and "EL" in table.stdout

    history = json.loads(run("lists", "history", "ZTE Kangxun", "--json", home=tmp_path).stdout)
    assert {e["entity_id"] for e in history} == {"zte_history:zte-kangxun"}
    assert (history[0]["day"], history[0]["kind"], history[0]["list"]) == (
        "2016-03-08", "listed", "EL")


def test_errors_are_one_line_with_exit_codes(tmp_path: Path) -> None:
    missing = run("lists", "show", "nothing", home=tmp_path)
    assert missing.returncode == 5
    assert "no version of source 'nothing'" in missing.stderr
    assert "Traceback" not in missing.stderr
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01 not a list")
    unknown = run("lists", "import", str(junk), home=tmp_path)
    assert unknown.returncode == 3
    assert "no parser recognises" in unknown.stderr


def test_screen_file_and_match_pairs(tmp_path: Path) -> None:
    run("lists", "import", str(FIXTURE), home=tmp_path)
    records = tmp_path / "parties.csv"
    records.write_text("id,name,country\n1,ZTE Parsian,IR\n2,Jane Miller,US\n3,,\n"
                       "4,Beijing 8 Star International,CN\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = run("screen-file", str(records), "--output", str(out), "--all", home=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(x["record_id"], x["line"], x["status"]) for x in lines] == [
        ("1", 2, "hit"), ("2", 3, "clear"), ("3", 4, "error"), ("4", 5, "hit")]
    assert lines[0]["entity_id"] == "zte_history:zte-parsian"
    assert lines[2]["error"] == "no name" and "line 4: no name" in done.stderr
    assert lines[3]["entity_id"] == "zte_history:beijing-8-star"
    # The run is one record of the audit trail: digests, counts and the hits.
    audited = run("audit", "list", "--kind", "batch", "--json", home=tmp_path)
    [batch] = json.loads(audited.stdout)
    payload = batch["payload"]
    assert payload["counts"]["records"] == 3 and payload["counts"]["errors"] == 1
    assert payload["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert {h["entity_id"] for h in payload["hits"]} == {
        "zte_history:zte-parsian", "zte_history:beijing-8-star"}
    assert run("audit", "verify", home=tmp_path).returncode == 0
