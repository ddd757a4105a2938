"""Never a match dropped: a name matching a family of listings returns every one of them.

Huawei has dozens of Entity List affiliates, CSSC two dozen research institutes,
and over a hundred "FU YUAN YU" fishing vessels are on the SDN list: each is a
distinct listed party. Brute force (every listed entity scored) is the truth;
every path that screens must find all of it, whatever its ``limit`` shows.
The HTTP API's paths are in ``tests/api/test_families.py``, Spark's in
``test_spark.py``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import orjson
import pytest

from clearance.matching import Query
from clearance.monitoring import Monitor, MonitoredRecord
from clearance.rules import check
from clearance.screening import Screener
from clearance.screening.batch import BatchOptions, screen_batch
from clearance.screening.files import screen_file
from clearance.screening.writers import read_output
from clearance.store import Store
from families import FAMILIES, FAMILY_DAY

Truth = dict[str, set[str]]


@pytest.mark.parametrize("matches_only", [False, True])
def test_screening_returns_every_match(family_screener: Screener, family_truth: Truth,
                                       matches_only: bool) -> None:
    for name, expected in family_truth.items():
        results = family_screener.screen(Query(name), limit=None, matches_only=matches_only)
        assert {r.entity_id for r in results if r.match} == expected, name
        assert results.matches == len(expected)


def test_limit_trims_what_is_shown_and_counts_the_rest(family_screener: Screener,
                                                      family_truth: Truth) -> None:
    for name, expected in family_truth.items():
        results = family_screener.screen(Query(name), limit=5)
        assert len(results) == 5 and all(r.entity_id in expected for r in results)
        assert results.matches == len(expected) and results.truncated
        hits = family_screener.screen(Query(name), limit=3, matches_only=True)
        assert len(hits) == 3 and hits.matches == len(expected)


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLEARANCE_HOME": str(home), "COLUMNS": "200",
           "CLEARANCE_DATABASE_URL": f"sqlite:///{home / 'clearance.db'}"}
    return subprocess.run([sys.executable, "-m", "clearance.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def own_home(family_home: Path, tmp_path: Path) -> Path:
    """A copy of the family store (screenings write alerts), sharing its index cache."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(family_home / "clearance.db", home / "clearance.db")
    (home / "cache").symlink_to(family_home / "cache")
    return home


def test_cli_screen_says_how_many_matches_and_alerts_them_all(own_home: Path,
                                                              family_truth: Truth) -> None:
    name = FAMILIES[0]
    expected = family_truth[name]
    done = _cli("screen", name, "--as-of", FAMILY_DAY, "--json", home=own_home)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["total_matches"] == len(expected)
    assert len(out["results"]) == 10
    assert {a["entity_id"] for a in out["alerts"]} == expected  # every match is an alert
    table = _cli("screen", name, "--as-of", FAMILY_DAY, "--limit", "4", home=own_home)
    assert f"showing 4 of {len(expected)} matches" in table.stdout


def test_file_screening_writes_every_match(family_screener: Screener, family_truth: Truth,
                                           tmp_path: Path) -> None:
    source = tmp_path / "parties.csv"
    with source.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "name"])
        writer.writerows([(f"r{n}", name) for n, name in enumerate(FAMILIES)])
    out = tmp_path / "hits.jsonl"
    summary = screen_batch(family_screener, source, out, BatchOptions(workers=1))
    found: dict[str, set[str]] = {}
    for row in read_output(out, "jsonl"):
        found.setdefault(str(row["record_id"]), set()).add(str(row["entity_id"]))
    assert {f"r{n}": family_truth[name] for n, name in enumerate(FAMILIES)} == found
    assert summary["hits"] == sum(len(v) for v in family_truth.values())


def test_api_job_files_write_every_match(family_screener: Screener, family_truth: Truth,
                                         tmp_path: Path) -> None:
    source = tmp_path / "parties.jsonl"
    source.write_bytes(b"".join(orjson.dumps({"id": f"r{n}", "name": name}) + b"\n"
                                for n, name in enumerate(FAMILIES)))
    out = BytesIO()
    screen_file(family_screener, source, out)
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    for n, name in enumerate(FAMILIES):
        matched = {r["entity_id"] for r in lines[n]["results"] if r["match"]}
        assert matched == family_truth[name], name


def test_transaction_check_weighs_every_matching_party(family_home: Path,
                                                       family_screener: Screener,
                                                       family_truth: Truth) -> None:
    store = Store.open(f"sqlite:///{family_home / 'clearance.db'}")
    name = FAMILIES[1]
    decision = check({"date": FAMILY_DAY, "destination": "CN",
                      "parties": [{"role": "end_user", "name": name, "schema": "Company"}],
                      "items": [{"description": "FPGA chips", "eccn": "3A991",
                                 "value": 10000.0, "origin": "us"}]},
                     store=store, screener=family_screener)
    hits = {h["entity_id"] for h in decision.to_dict()["parties"][0]["hits"]}
    assert hits == family_truth[name]


def test_monitoring_alerts_every_member_of_a_family(family_home: Path, family_truth: Truth,
                                                    tmp_path: Path) -> None:
    shutil.copyfile(family_home / "clearance.db", tmp_path / "m.db")
    monitor = Monitor(Store.open(f"sqlite:///{tmp_path / 'm.db'}"), cache_dir=tmp_path / "c")
    monitor.add([MonitoredRecord(f"r{n}", Query(name)) for n, name in enumerate(FAMILIES)])
    monitor.run(as_of=FAMILY_DAY)
    found: dict[str, set[str]] = {}
    for record, entity in monitor.matches():
        found.setdefault(record, set()).add(entity)
    assert found == {f"r{n}": family_truth[name] for n, name in enumerate(FAMILIES)}
