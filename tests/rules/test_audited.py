"""Every export check is recorded in the tamper-evident audit trail."""

from __future__ import annotations

from pathlib import Path

from clearance.audit import AuditTrail
from clearance.rules import audit_recorder, check
from clearance.rules.transaction import parse_transaction
from clearance.store import Store
from rules.helpers import party, tx

ZTE = Path(__file__).resolve().parents[2] / "src" / "clearance" / "data" / "zte_history.yaml"


def test_each_check_appends_a_verifiable_record(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'audited.db'}")
    store.import_path(ZTE, format="history_yaml")
    trail = AuditTrail(store.engine)
    before = trail.count()
    document = tx("2018-05-01", party("ZTE Corporation", "ultimate_consignee", country="CN"))
    decision = check(parse_transaction(document), store=store,
                     recorder=audit_recorder(store, channel="cli", actor="analyst-1"))
    assert decision.decision == "prohibited"
    assert trail.count() == before + 1
    [record] = trail.records(kind="export_check")
    assert record.actor == "analyst-1" and record.channel == "cli"
    assert record.payload["decision"] == "prohibited"
    assert record.payload["reasons"][0]["rule_id"] == "bis-dpl-denial-order"
    assert trail.verify().ok


def test_no_store_no_recorder() -> None:
    assert audit_recorder(None) is None
