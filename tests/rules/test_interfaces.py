"""``clearance check`` as a user runs it (exit codes), and ``POST /check`` over loopback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.helpers import Live, assert_problem, start_server
from clearance.store import Store
from clearance.store.keys import create_key
from rules.helpers import chips, party, tx

ZTE_SALE = tx("2018-05-01", party("ZTE Corporation", "purchaser", country="CN"))


def run(*args: str, home: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLEARANCE_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "clearance.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=120, input=stdin)


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CLEARANCE_HOME with the ZTE history and the synthetic ownership file imported."""
    from rules.conftest import OWNERSHIP, ZTE

    home = tmp_path_factory.mktemp("cli-home")
    assert run("lists", "import", str(ZTE), home=home).returncode == 0
    done = run("ownership", "import", str(OWNERSHIP), "--published", "2008-01-01", "--json",
               home=home)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ownership"]["links"] == 12
    return home


def _file(folder: Path, name: str, data: dict[str, object]) -> Path:
    path = folder / name
    path.write_text(json.dumps(data))
    return path


def test_cli_exit_codes(cli_home: Path, tmp_path: Path) -> None:
    cases = [
        (ZTE_SALE, 30, "prohibited"),
        ({**ZTE_SALE, "date": "2018-08-01"}, 0, "clear"),
        (tx("2019-03-01", party("ZTE Parsian")), 20, "license_required"),
        (tx("2023-01-01", party("Azov Steel Parts", "ultimate_consignee",
                                address="Mariupol, Donetsk Oblast"), destination="UA"),
         10, "review"),
        (tx("2020-01-01", party("Harbor Light Trading LLC"), destination="AE",
            items=[chips(eccn="EAR99")]), 30, "prohibited"),
    ]
    for n, (data, code, decision) in enumerate(cases):
        done = run("check", str(_file(tmp_path, f"t{n}.json", data)), "--json", home=cli_home)
        assert done.returncode == code, (data, done.stderr)
        assert json.loads(done.stdout)["decision"] == decision


def test_cli_table_as_of_and_errors(cli_home: Path, tmp_path: Path) -> None:
    path = _file(tmp_path, "po.json", ZTE_SALE)
    table = run("check", str(path), home=cli_home)
    assert table.returncode == 30
    assert "PROHIBITED" in table.stdout and "bis-dpl-denial-order" in table.stdout
    assert "15 CFR 764.3" in table.stdout and "BIS Affiliates Rule" in table.stdout
    later = run("check", str(path), "--as-of", "2018-08-01", home=cli_home)
    assert later.returncode == 0 and "CLEAR" in later.stdout
    assert "suspended" in later.stdout

    bad = run("check", "-", home=cli_home, stdin='{"date": "2018-05-01", "destination": "CN",'
              ' "parties": [{"role": "shipper", "name": "X"}], "items": []}')
    assert bad.returncode == 7
    assert "element parties[0].role" in bad.stderr and "Traceback" not in bad.stderr


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, cli_home: Path) -> Iterator[Live]:
    """A server on a copy of the CLI store (ZTE history and ownership links)."""
    folder = tmp_path_factory.mktemp("check-api")
    shutil.copy(cli_home / "clearance.db", folder / "api.db")
    # The CLI runs above signed audit records with cli_home's key; every writer of one chain
    # must share that key, so the server gets a copy of it.
    (folder / "home").mkdir()
    if (cli_home / "audit.key").exists():
        shutil.copy(cli_home / "audit.key", folder / "home" / "audit.key")
    store = Store.open(f"sqlite:///{folder}/api.db")
    server = start_server(store, folder / "home", folder / "cache")
    yield server
    server.stop()


def test_post_check(live: Live) -> None:
    key = create_key(live.store, "screener", name="check tests").key
    with live.client(key) as client:
        response = client.post("/check", json=ZTE_SALE)
        assert response.status_code == 200, response.text
        assert response.headers["x-clearance-decision"] == "prohibited"
        body = response.json()
        assert body["decision"] == "prohibited" and body["exit_code"] == 30
        reason = body["reasons"][0]
        assert reason["rule_id"] == "bis-dpl-denial-order"
        assert reason["match"]["entity_id"] == "zte_history:zte-corporation"
        assert body["settings"]["bis_affiliates_rule"]["status"] == "not_in_force"

        later = client.post("/check", params={"as_of": "2018-08-01"}, json=ZTE_SALE).json()
        assert later["decision"] == "clear" and later["as_of"] == "2018-08-01"

        bad = client.post("/check", json={**ZTE_SALE, "items": [{"description": "x",
                                                                  "eccn": "3X001", "value": 1,
                                                                  "origin": "us"}]})
        problem = assert_problem(bad, 422)
        assert problem["errors"][0]["loc"] == ["body", "items", "0", "eccn"]
    with live.client() as anonymous:
        assert_problem(anonymous.post("/check", json=ZTE_SALE), 401)
