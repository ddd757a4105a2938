"""The recording API other layers call, the Python API's screener, and the export files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import clearance
from clearance.audit import AuditKey, AuditTrail, open_screener
from clearance.audit.export import export
from clearance.errors import ConfigError
from clearance.matching import DEFAULT_CONFIG
from clearance.store import Store

ZTE = Path(clearance.__file__).parent / "data" / "zte_history.yaml"


def test_python_api_screenings_are_recorded(db_url: str) -> None:
    store = Store.open(db_url)
    store.import_path(ZTE, format="history_yaml")
    screener = open_screener(store, as_of="2018-05-01", actor="alice")
    results = screener.screen("Zhongxing Telecommunications Equipment")
    assert results[0].entity_id == "zte_history:zte-corporation" and results[0].match
    record = screener.last_record
    assert record is not None and record.seq == 1
    assert (record.kind, record.actor, record.channel) == ("screening", "alice", "python")
    payload = record.payload
    assert payload["as_of"] == "2018-05-01" and payload["threshold"] == DEFAULT_CONFIG.threshold
    assert payload["versions"] == [{"source": "zte_history", "seq": 1,
                                    "sha256": store.versions()[0].sha256,
                                    "published": store.versions()[0].published}]
    first = payload["results"][0]
    assert first["entity_hash"] == store.entity("zte_history:zte-corporation").content_hash()
    assert first["lists"] == ["DPL"] and first["explanation"]["name"]["matched"]
    assert payload["alerts"][0]["status"] == "new"
    assert not any(r.match for r in screener.screen("Nobody In Particular Ltd"))
    assert screener.last_record is not None and screener.last_record.seq == 2
    assert "alerts" not in screener.last_record.payload
    assert screener.trail.verify().ok
    store.engine.dispose()


def test_generic_and_batch_records(db_url: str, tmp_path: Path) -> None:
    store = Store.open(db_url)
    trail = AuditTrail(store.engine, key=AuditKey(b"r" * 64, "test"))
    trail.record("export_check", {"eccn": "5A002", "destination": "ir", "licence": "required"},
                 actor="bob", channel="cli", subject="order:77")
    with pytest.raises(ConfigError, match="reserved"):
        trail.record("purge", {})
    trail.record_batch(channel="cli", actor="carol",
                       counts={"records": 3, "with_matches": 1, "errors": 0},
                       hits=[{"id": "2", "query": {"name": "<script>alert(1)</script>"},
                              "results": [{"entity_id": "x:1", "name": "X & Co", "score": 0.9,
                                           "match": True, "lists": ["SDN"]}]}],
                       versions=[{"source": "x", "seq": 4, "sha256": "ab" * 32}],
                       threshold=0.7, input_name="in.csv", input_sha256="cd" * 32,
                       output_name="out.jsonl", output_sha256="ef" * 32)
    assert [r.kind for r in trail.records()] == ["export_check", "batch"]
    assert [r.seq for r in trail.records(kind="batch")] == [2]
    assert [r.seq for r in trail.records(subject="order:77")] == [1]

    done = export(trail, "2000-01-01", "2999-12-31", tmp_path / "out")
    assert done["records"] == 2 and done["chain"]["ok"]
    data = json.loads(Path(done["files"]["json"]).read_text(encoding="utf-8"))
    assert [r["seq"] for r in data["records"]] == [1, 2] and "sha256" in data["hashing"]
    text = Path(done["files"]["csv"]).read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert rows[1]["kind"] == "batch" and rows[1]["matches"] == "X & Co [SDN] 0.9"
    assert rows[1]["list_versions"] == "x#4:abababababab"
    page = Path(done["files"]["html"]).read_text(encoding="utf-8")
    assert "<script>" not in page and "X &amp; Co" in page and "Chain verified" in page
    # A period with nothing in it is an empty report, not an error.
    assert export(trail, "1990-01-01", "1990-12-31", tmp_path / "none")["records"] == 0
    with pytest.raises(ConfigError, match="--from"):
        export(trail, "last week", None, tmp_path / "bad")
    store.engine.dispose()
