"""``lists history``: found by id or by name through the matcher, every dated event shown.

The ZTE story (README, "Why"): on the Entity List from 2016-03-08 to 2017-03-29, a
suspended denial order from 2017-03-23, activated on 2018-04-15, terminated on
2018-07-13, and a new suspended order from 2018-06-08. The history fixture publishes
all of it in one file of 2018-07-23.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import clearance
from clearance.screening.history import find_entities, listing_history
from clearance.store import Store

FIXTURE = Path(clearance.__file__).parent / "data" / "zte_history.yaml"
ZTE = "zte_history:zte-corporation"
ZTE_EVENTS = {
    ("2016-03-08", "listed", "EL"), ("2017-03-29", "removed", "EL"),
    ("2017-03-23", "suspended", "DPL"), ("2018-04-15", "suspension ends", "DPL"),
    ("2018-04-15", "listed", "DPL"), ("2018-07-13", "removed", "DPL"),
    ("2018-06-08", "suspended", "DPL"), ("2018-07-23", "published", None)}


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLEARANCE_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "clearance", *args], env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """The ZTE history, the real FCC Covered List and the real SDN list of 2021."""
    folder = tmp_path_factory.mktemp("history-home")
    store = Store.open(f"sqlite:///{folder / 'clearance.db'}")
    store.import_path(FIXTURE, format="history_yaml")
    store.import_path(data_dir / "us_other" / "fcc_covered_list" / "table.csv")
    store.import_path(data_dir / "ofac_sdn" / "2021-07-07", format="ofac_csv")
    return folder


def _events(done: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_by_name_finds_the_denied_persons_entry_by_its_alias(home: Path) -> None:
    events = _events(run(home, "lists", "history", "ZTE Corporation", "--json"))
    assert {e["entity_id"] for e in events} >= {ZTE, "us_fcc_covered:zte-corporation"}
    zte = {(e["day"], e["kind"], e["list"]) for e in events if e["entity_id"] == ZTE}
    assert zte == ZTE_EVENTS | {("2028-06-08", "suspension ends", "DPL")}
    activated = next(e for e in events if e["entity_id"] == ZTE and e["kind"] == "listed"
                     and e["list"] == "DPL")
    assert "83 FR 17644" in str(activated["basis"]) and activated["authority"] == "BIS"


def test_by_name_is_no_substring_search(home: Path) -> None:
    events = _events(run(home, "lists", "history", "ZTE", "--json"))
    names = {str(e["name"]) for e in events}
    assert ZTE in {e["entity_id"] for e in events}
    assert not any("BOZTEPE" in n for n in names), names


def test_by_id_and_table(home: Path) -> None:
    by_id = _events(run(home, "lists", "history", ZTE, "--json"))
    assert {e["entity_id"] for e in by_id} == {ZTE}
    assert [e["day"] for e in by_id] == sorted(str(e["day"]) for e in by_id)
    table = run(home, "lists", "history", ZTE)
    assert "81 FR 12004" in table.stdout and "suspension ends" in table.stdout
    missing = run(home, "lists", "history", "Nobody Listed Anywhere")
    assert missing.returncode == 5 and "no entity id or listed name" in missing.stderr


VERSION = """format: clearance-history/1
source: small
published: "{published}"
entities:
  - key: acme
    schema: Company
    name: Acme Export Limited
    listings:
      - {{list: EL, authority: BIS, start: "2010-05-01", {end}federal_register: ["75 FR 1"]}}
"""


def test_versions_amendments_and_the_day_for_a_delisted_name(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'small.db'}")
    for published, end in (("2011-01-01", ""), ("2012-01-01", 'end: "2011-12-01", ')):
        path = tmp_path / f"small-{published}.yaml"
        path.write_text(VERSION.format(published=published, end=end), encoding="utf-8")
        store.import_path(path, format="history_yaml")
    events = [(e.day, e.kind, e.basis) for e in listing_history(store, "small:acme")]
    assert events == [("2010-05-01", "listed", "75 FR 1"),
                      ("2011-01-01", "published", "small version 1"),
                      ("2011-12-01", "removed", "75 FR 1"),
                      ("2012-01-01", "amended", "small version 2")]
    # Delisted: not on today's lists, found on the lists of a day it was listed.
    assert find_entities(store, "Acme Export Ltd", as_of="2011-06-01") == ["small:acme"]
    assert find_entities(store, "Acme Export Ltd") == []
