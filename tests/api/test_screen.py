"""The clearance-native endpoints: screening, batches, entities, lists, jobs, metrics."""

from __future__ import annotations

import hashlib
import time

from api.helpers import Live, assert_problem
from clearance.audit import AuditTrail


def test_screen_one(live: Live, keys: dict[str, str]) -> None:
    with live.client(keys["screener"]) as client:
        response = client.post("/screen", json={"name": "Kim Jong Un", "schema": "Person",
                                                "birth_date": "1984-01-08", "country": "KP",
                                                "limit": 3})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["query"]["countries"] == ["KP"]
    assert [v["source"] for v in data["versions"]] == ["us_ofac_sdn", "zte_history"]
    first = data["results"][0]
    assert first["entity_id"] == "us_ofac_sdn:20157"
    assert first["lists"] == ["SDN"] and first["match"] is True
    assert first["explanation"]["name"]["matched"] == "KIM, Jong Un"
    assert len(data["results"]) <= 3


def test_screen_as_of_and_lists(live: Live, keys: dict[str, str]) -> None:
    """ZTE was on the Denied Persons List on 2018-05-01, not after 13 July 2018."""
    with live.client(keys["screener"]) as client:
        then = client.post("/screen", json={"name": "ZTE Corporation", "schema": "Company",
                                            "as_of": "2018-05-01", "lists": ["DPL"],
                                            "matches_only": True}).json()
        assert then["as_of"] == "2018-05-01"
        assert then["results"][0]["entity_id"] == "zte_history:zte-corporation"
        assert all("DPL" in r["lists"] for r in then["results"])
        later = client.post("/screen", json={"name": "ZTE Corporation", "as_of": "2018-08-01",
                                             "lists": ["DPL"]}).json()
        assert later["results"] == []


def test_batch_in_order(live: Live, keys: dict[str, str]) -> None:
    records = [{"id": "a", "name": "Kim Jong Un"}, {"id": "b", "name": "Jane Miller"},
               {"id": "c", "name": "ZTE Kangxun Telecom", "schema": "Company"}]
    with live.client(keys["screener"]) as client:
        data = client.post("/screen/batch", json={"records": records, "limit": 2,
                                                  "matches_only": True}).json()
    assert [r["id"] for r in data["results"]] == ["a", "b", "c"]
    assert data["results"][0]["results"][0]["entity_id"] == "us_ofac_sdn:20157"
    assert data["results"][1]["results"] == []
    assert data["results"][2]["results"][0]["entity_id"] == "zte_history:zte-kangxun"


def test_entity_with_history(live: Live, keys: dict[str, str]) -> None:
    with live.client(keys["analyst"]) as client:
        data = client.get("/entities/us_ofac_sdn:20157").json()
        assert data["entity"]["name"] == "KIM, Jong Un"
        assert data["listed_now"] is True and data["lists_now"] == ["SDN"]
        assert [(e["kind"], e["day"]) for e in data["history"]] == [("added", "2021-07-07")]
        zte = client.get("/entities/zte_history:zte-corporation").json()
        assert zte["listed_now"] is False  # the 2018 orders have ended
        assert {x["list"] for x in zte["entity"]["listings"]} >= {"EL", "DPL"}
        assert_problem(client.get("/entities/us_ofac_sdn:0"), 404)


def test_lists(live: Live, keys: dict[str, str]) -> None:
    with live.client(keys["analyst"]) as client:
        data = client.get("/lists").json()
    by_source = {s["source"]: s for s in data["sources"]}
    assert by_source["us_ofac_sdn"]["entity_count"] == 8976
    assert by_source["us_ofac_sdn"]["published"] == "2021-07-07"
    assert by_source["us_ofac_sdn"]["age_days"] > 365
    assert by_source["zte_history"]["entity_count"] == 5
    assert data["index"]["ready"] is True and data["index"]["entities"] == 8981


def test_job_lifecycle(live: Live, keys: dict[str, str]) -> None:
    csv = "id,name,country\n1,ZTE Parsian,IR\n2,Jane Miller,US\n3,,\n4,Kim Jong Un,KP\n"
    with live.client(keys["screener"]) as client:
        created = client.post("/jobs", content=csv.encode(),
                              headers={"Content-Type": "text/csv"})
        assert created.status_code == 202, created.text
        job = created.json()
        assert job["records"] == 4 and job["format"] == "csv"
        deadline = time.monotonic() + 60
        while job["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.1)
            job = client.get(f"/jobs/{job['id']}").json()
        assert job["status"] == "done", job
        assert job["progress"] == 1.0 and job["done"] == 4
        assert job["stats"] == {"records": 3, "errors": 1, "with_matches": 2}
        downloaded = client.get(job["results"]).content
        lines = downloaded.decode().splitlines()
        assert len(lines) == 4 and '"no name"' in lines[2]
        assert '"us_ofac_sdn:20157"' in lines[3]
    # The finished job is one audit record: who, digests, counts and the hits.
    batches = [r for r in AuditTrail(live.store.engine).records(kind="batch")
               if r.payload.get("job") == job["id"]]
    assert len(batches) == 1 and batches[0].channel == "api"
    assert batches[0].actor == "test screener"
    payload = batches[0].payload
    assert payload["counts"] == job["stats"]
    assert payload["output"]["sha256"] == hashlib.sha256(downloaded).hexdigest()
    assert {h["id"] for h in payload["hits"]} == {"1", "4"}
    with live.client(keys["other"]) as stranger:  # another client's key cannot see it
        assert_problem(stranger.get(f"/jobs/{job['id']}"), 404)
    with live.client(keys["admin"]) as admin:
        assert admin.get(f"/jobs/{job['id']}").status_code == 200


def test_job_jsonl_and_empty(live: Live, keys: dict[str, str]) -> None:
    with live.client(keys["screener"]) as client:
        assert_problem(client.post("/jobs", content=b""), 422)
        job = client.post("/jobs?format=jsonl", content=b'{"name": "Kim Jong Un"}\n').json()
        deadline = time.monotonic() + 60
        while job["status"] != "done" and time.monotonic() < deadline:
            time.sleep(0.1)
            job = client.get(f"/jobs/{job['id']}").json()
        assert job["stats"]["records"] == 1


def test_metrics(live: Live, keys: dict[str, str]) -> None:
    with live.client(keys["analyst"]) as client:
        client.post("/screen", json={"name": "x"})
        text = client.get("/metrics").text
    assert 'clearance_http_requests_total{method="POST",route="/screen",status="200"}' in text
    assert 'clearance_http_request_duration_seconds_bucket{le="0.005",method="POST"' in text
    assert "clearance_index_entities 8981.0" in text
    assert 'clearance_list_age_seconds{source="us_ofac_sdn"}' in text
    assert "clearance_index_ready 1.0" in text


def test_job_unreadable_files(live: Live, keys: dict[str, str]) -> None:
    with live.client(keys["screener"]) as client:
        no_name = assert_problem(client.post("/jobs", content=b"id,company\n1,ZTE\n"), 422)
        assert "'name' column" in no_name["detail"]
        assert "/tmp" not in no_name["detail"]  # no server paths in answers
        latin1 = "id,name\n1,Société Générale\n".encode("latin-1")
        assert_problem(client.post("/jobs", content=latin1), 422)


def test_a_held_writer_lock_delays_the_screening_not_the_service(live: Live,
                                                                 keys: dict[str, str]) -> None:
    """While another writer (a list import) holds the database, POST /screen waits for it
    in a thread and the event loop goes on answering; the screening is recorded after."""
    import threading

    from clearance.store.writers import write_transaction

    released = threading.Event()
    holding = threading.Event()

    def hold() -> None:
        with write_transaction(live.store.engine):
            holding.set()
            released.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    outcome: dict[str, object] = {}

    def screen() -> None:
        with live.client(keys["screener"]) as client:
            outcome["response"] = client.post("/screen", json={"name": "ZTE Corporation"})

    screener = threading.Thread(target=screen)
    screener.start()
    try:
        time.sleep(0.3)  # the screening is now waiting for the lock
        assert "response" not in outcome
        with live.client() as client:
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            assert time.perf_counter() - started < 2.0
        assert "response" not in outcome
    finally:
        released.set()
        holder.join(10)
        screener.join(30)
    response = outcome["response"]
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    seq = int(response.headers["x-audit-seq"])  # type: ignore[attr-defined]
    assert AuditTrail(live.store.engine).get(seq) is not None
