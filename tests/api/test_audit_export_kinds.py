"""The examiner's export: a trail holding every kind of record, in every format.

The trail is made as users make it: screenings, a batch, a case decision, an export
check and a purge from the command line, yente-style ``/match`` calls and a screening
over HTTP. The listed names are hostile HTML, which the HTML report must show as text.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

import clearance
from api.helpers import Live, start_server
from clearance.audit.export import FORMATS
from clearance.store import Store
from clearance.store.keys import create_key

ZTE = Path(clearance.__file__).parent / "data" / "zte_history.yaml"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "po-2018-0142.yaml"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
HOSTILE = f"""format: clearance-history/1
source: hostile
published: "2020-01-01"
entities:
  - key: script
    schema: Company
    name: '{SCRIPT} Trading'
  - key: img
    schema: Company
    name: '{IMG.replace("'", "''")} Holdings'
"""
# Every kind clearance itself writes (grep: trail.record, record_screening, record_batch,
# the purge checkpoint).
KINDS = {"screening", "batch", "case_decision", "purge", "yente_match", "export_check"}
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "p", "b", "span",
                "small", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "details",
                "summary", "pre", "br"}


class Tags(HTMLParser):
    """Every tag and attribute of a page, to prove no list data became markup."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


@pytest.fixture
def world(tmp_path: Path, index_cache: Path) -> Iterator[tuple[Live, Path, dict[str, str]]]:
    """A store with the ZTE history and the hostile list, a server on it, and the CLI's env."""
    db = tmp_path / "store.db"
    store = Store.open(f"sqlite:///{db}")
    store.import_path(ZTE, format="history_yaml")
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(HOSTILE, encoding="utf-8")
    store.import_path(hostile, format="history_yaml")
    env = {**os.environ, "CLEARANCE_HOME": str(tmp_path / "home"),
           "CLEARANCE_DATABASE_URL": f"sqlite:///{db}", "COLUMNS": "200"}
    live = start_server(store, tmp_path / "home", index_cache)
    yield live, tmp_path, env
    live.stop()


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "clearance", *args], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 30), (args, done.stderr)
    return done


def test_every_kind_exports_in_every_format(world: tuple[Live, Path, dict[str, str]]) -> None:
    live, folder, env = world
    cli(env, "screen", "ZTE Corporation", "--as-of", "2018-05-01")
    cli(env, "audit", "purge", "--before", "2100-01-01")
    screened = json.loads(cli(env, "screen", f"{SCRIPT} Trading", "--json").stdout)
    case_id = screened["alerts"][0]["case_id"]
    cli(env, "cases", "decide", str(case_id), "--decision", "false-positive", "--reason",
        "different-entity", "--note", IMG)
    records = folder / "parties.csv"
    records.write_text(f"id,name\n1,{IMG} Holdings\n2,Jane Miller\n", encoding="utf-8")
    cli(env, "screen-file", str(records), "--output", str(folder / "out.csv"))
    cli(env, "check", str(EXAMPLE))
    key = create_key(live.store, "screener", name="examiner test").key
    with live.client(key) as client:
        queries = {"a": {"schema": "Company", "properties": {"name": [f"{IMG} Holdings"]}},
                   "b": {"schema": "Company", "properties": {"name": [SCRIPT]}}}
        assert client.post("/match/default", json={"queries": queries}).status_code == 200
        assert client.post("/screen", json={"name": f"{SCRIPT} Trading"}).status_code == 200

    out = folder / "export"
    done = cli(env, "audit", "export", "-o", str(out), "--json",
               *[arg for fmt in FORMATS for arg in ("--format", fmt)])
    files = json.loads(done.stdout)["files"]
    assert set(files) == set(FORMATS)

    exported = json.loads(Path(files["json"]).read_text(encoding="utf-8"))
    assert set(exported["kinds"]) == KINDS and exported["chain"]["ok"] is True
    with Path(files["csv"]).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["kind"] for r in rows} == KINDS and len(rows) == len(exported["records"])
    by_kind = {r["kind"]: r for r in rows}
    assert SCRIPT in by_kind["yente_match"]["input"]
    assert f"{IMG} Holdings" in by_kind["yente_match"]["matches"]
    assert "zte_history:zte-corporation" not in by_kind["export_check"]["matches"]
    assert "Zhongxing" in by_kind["export_check"]["matches"]
    assert "zte_history#1" in by_kind["export_check"]["list_versions"]

    page = Path(files["html"]).read_text(encoding="utf-8")
    tags = Tags()
    tags.feed(page)
    assert tags.tags <= ALLOWED_TAGS, tags.tags - ALLOWED_TAGS
    assert not {a for a in tags.attrs if a.startswith("on") or a == "src"}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    for kind in KINDS:
        assert f"<td>{kind}</td>" in page
