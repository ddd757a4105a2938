"""``clearance monitor`` and the re-screening after ``lists import``, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import clearance

FIXTURE = Path(clearance.__file__).parent / "data" / "zte_history.yaml"


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLEARANCE_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "clearance.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def ok(*args: str, home: Path) -> dict | list:
    done = run(*args, "--json", home=home)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
def test_zte_delisting_and_rescreen_after_import(tmp_path: Path, data_dir: Path) -> None:
    home = tmp_path / "home"
    records = tmp_path / "customers.csv"
    records.write_text("customer_no,name,schema,country\n"
                       "C-1,ZTE Corporation,Company,cn\n"
                       "C-2,Acme Widgets Ltd,Company,us\n"
                       "C-3,Banco Nacional de Cuba,Company,\n"
                       ",Unnumbered Trading House,Company,\n"
                       "C-5,,Company,\n", encoding="utf-8")
    ok("lists", "import", str(FIXTURE), home=home)
    added = ok("monitor", "add", str(records), "--id-col", "customer_no", home=home)
    assert (added["added"], added["unchanged"]) == (4, 0)
    assert added["errors"] == [{"line": 6, "message": "no name"}]
    listed = ok("monitor", "list", home=home)
    ids = [r["id"] for r in listed]
    assert ids[:3] == ["C-1", "C-2", "C-3"] and ids[3].startswith("r-")
    assert all(r["dirty"] for r in listed)

    # 2018-05-01: the denial order is in force.
    first = ok("monitor", "run", "--as-of", "2018-05-01", home=home)
    assert [(a["kind"], a["record_id"], a["entity_id"]) for a in first["alerts"]] == [
        ("new", "C-1", "zte_history:zte-corporation")]
    # 2018-07-13: terminated (83 FR 34825): the match goes away, as delisted.
    second = ok("monitor", "run", "--as-of", "2018-07-13", home=home)
    assert [(a["kind"], a["reason"], a["record_id"]) for a in second["alerts"]] == [
        ("cleared", "delisted", "C-1")]
    assert ok("monitor", "report", "--last", home=home)["run_id"] == second["run_id"]
    assert ok("monitor", "report", str(first["run_id"]), home=home)["new"] == 1

    # A list import re-screens by itself: Banco Nacional de Cuba is on the 2021 SDN list.
    imported = ok("lists", "import", str(data_dir / "ofac_sdn" / "2021-07-07"), home=home)
    assert imported["imports"][0]["status"] == "imported"
    assert imported["rescreen"]["kind"] == "full"  # a new list: fresh word statistics
    alerts = imported["rescreen"]["alerts"]
    assert ("new", "C-3") in {(a["kind"], a["record_id"]) for a in alerts}
    assert all(a["record_id"] != "C-2" for a in alerts)

    # A changed record is re-screened; an unchanged one is not.
    records.write_text("customer_no,name,schema,country\n"
                       "C-2,Banco Nacional de Cuba,Company,\n"
                       "C-3,Banco Nacional de Cuba,Company,\n", encoding="utf-8")
    again = ok("monitor", "add", str(records), "--id-col", "customer_no", home=home)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 1, 1)
    pending = {r["id"]: r["dirty"] for r in ok("monitor", "list", home=home)}
    assert pending["C-2"] is True and pending["C-3"] is False
    rerun = ok("monitor", "run", home=home)
    assert rerun["kind"] == "incremental" and rerun["records_screened"] == 1
    assert {(a["kind"], a["reason"], a["record_id"]) for a in rerun["alerts"]} == {
        ("new", "record_added", "C-2")}

    # --no-rescreen: the import alone, in its usual shape.
    plain = ok("lists", "import", str(data_dir / "us_bis_dpl" / "2023-11-30"), "--no-rescreen",
               home=home)
    assert isinstance(plain, list) and plain[0]["status"] == "imported"

    removed = ok("monitor", "remove", "C-2", "C-3", home=home)
    assert removed == {"removed": 2}
    assert {r["id"] for r in ok("monitor", "list", home=home)} == {"C-1", ids[3]}
    table = run("monitor", "report", home=home)
    assert table.returncode == 0 and "new" in table.stdout


def test_monitor_errors(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run("monitor", "report", home=home).returncode == 5
    assert run("monitor", "remove", home=home).returncode == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("id,label\n1,x\n", encoding="utf-8")
    done = run("monitor", "add", str(bad), home=home)
    assert done.returncode == 3 and "name" in done.stderr
