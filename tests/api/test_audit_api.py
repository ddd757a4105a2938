"""HTTP screenings are audited with the API key's name as actor, and raise alerts."""

from __future__ import annotations

from api.helpers import Live
from clearance.audit import AuditTrail
from clearance.cases import CaseBook


def test_screenings_are_recorded_with_the_key_name(live: Live, keys: dict[str, str]) -> None:
    trail = AuditTrail(live.store.engine, live.app.state.services.settings)
    book = CaseBook(live.store.engine, live.app.state.services.settings, trail)
    body = {"id": "cust-77", "name": "Kim Jong Un", "schema": "Person", "country": "KP",
            "limit": 3}
    with live.client(keys["screener"]) as client:
        first = client.post("/screen", json=body)
        assert first.status_code == 200, first.text
        data = first.json()
        seq = data["audit_seq"]
        assert first.headers["x-audit-seq"] == str(seq)
        assert [(a["entity_id"], a["status"]) for a in data["alerts"]] == [
            ("us_ofac_sdn:20157", "new")]
        record = trail.get(seq)
        assert record is not None
        assert (record.kind, record.actor, record.channel, record.subject) == (
            "screening", "test screener", "api", "id:cust-77")
        assert record.payload["query"]["name"] == "Kim Jong Un"
        assert record.payload["normalised"]["countries"] == ["kp"]
        assert {v["source"] for v in record.payload["versions"]} == {"us_ofac_sdn",
                                                                     "zte_history"}
        assert all(len(v["sha256"]) == 64 for v in record.payload["versions"])
        assert record.payload["results"][0]["entity_id"] == "us_ofac_sdn:20157"
        assert record.payload["results"][0]["explanation"]["features"]
        assert record.payload["endpoint"] == "/screen"

        book.decide(data["alerts"][0]["case_id"], "false_positive", "different-person",
                    "test only", actor="analyst one")
        again = client.post("/screen", json=body).json()
        assert [a["status"] for a in again["alerts"]] == ["suppressed"]

        batch = client.post("/screen/batch", json={"records": [
            {"id": "b1", "name": "Kim Jong Un", "schema": "Person"},
            {"id": "b2", "name": "Jane Miller", "schema": "Person"}], "limit": 2}).json()
        record = trail.get(batch["audit_seq"])
        assert record is not None and record.kind == "batch"
        assert record.payload["counts"] == {"records": 2, "with_matches": 1}
        assert [h["id"] for h in record.payload["hits"]] == ["b1"]
        assert [r["id"] for r in record.payload["records"]] == ["b1", "b2"]

    with live.client(keys["other"]) as client:
        matched = client.post("/match/default", json={"queries": {"q1": {
            "schema": "Person", "properties": {"name": ["Kim Jong Un"]}}}})
        record = trail.get(int(matched.headers["x-audit-seq"]))
        assert record is not None
        assert (record.kind, record.actor) == ("yente_match", "another client")
        assert record.payload["results"]["q1"][0]["id"]
    report = trail.verify()
    assert report.ok, report.lines()
