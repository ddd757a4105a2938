"""List updates while serving: the new index is swapped in atomically under load;
a failed update leaves the old lists serving and is reported."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.helpers import Live, assert_problem, copy_store, start_server
from clearance.store.keys import create_key

NEW_LIST = """format: clearance-history/1
source: swap_test
title: A list published while the service runs (test data)
published: "2024-01-01"
entities:
  - key: swaptest
    schema: Company
    name: Quillfeather Maritime Holdings
    listings:
      - list: EL
        authority: BIS
        start: "2023-12-01"
"""
QUERY = {"name": "Quillfeather Maritime Holdings", "schema": "Company", "matches_only": True}


@pytest.fixture(scope="module")
def server(api_db: Path, index_cache: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("swap")
    live = start_server(copy_store(api_db, folder / "swap.db"), folder / "home", index_cache)
    yield live
    live.stop()


def _hammer(url: str, key: str, stop: threading.Event, seen: Counter[str],
            errors: list[str]) -> None:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"},
                      timeout=60) as client:
        while not stop.is_set():
            try:
                response = client.post("/screen", json=QUERY)
            except httpx.HTTPError as exc:
                errors.append(repr(exc))
                continue
            if response.status_code != 200:
                errors.append(f"{response.status_code}: {response.text[:200]}")
                continue
            hits = [r["entity_id"] for r in response.json()["results"]]
            seen["new" if "swap_test:swaptest" in hits else "old"] += 1


def _wait_update(client: httpx.Client, timeout: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        update = client.get("/lists").json()["last_update"]
        if update and update["status"] != "running":
            return update  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError("the update did not finish")


def test_swap_under_concurrent_requests(server: Live, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "swap_test" / "2024-01-01").mkdir(parents=True)
    (mirror / "swap_test" / "2024-01-01" / "list.yaml").write_text(NEW_LIST, encoding="utf-8")
    admin = create_key(server.store, "admin").key
    screener = create_key(server.store, "screener").key
    stop, seen, errors = threading.Event(), Counter[str](), []
    threads = [threading.Thread(target=_hammer, args=(server.url, screener, stop, seen, errors))
               for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        with server.client(admin) as client:
            started = client.post("/lists/update", json={"mirror": str(mirror)})
            assert started.status_code == 202, started.text
            assert_problem(client.post("/lists/update", json={"mirror": str(mirror)}), 409)
            update = _wait_update(client)
            after = seen["new"]
            deadline = time.monotonic() + 10
            while seen["new"] < after + 5 and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert update["status"] == "succeeded", update
    assert errors == []
    assert seen["old"] > 0, "no request was answered by the old index"
    assert seen["new"] > 0, "no request was answered by the new index"
    with server.client(admin) as client:
        lists = client.get("/lists").json()
        assert lists["index"]["generation"] == 2
        assert "swap_test" in {s["source"] for s in lists["sources"]}
        hit = client.post("/screen", json=QUERY).json()["results"][0]
        assert hit["entity_id"] == "swap_test:swaptest" and hit["lists"] == ["EL"]


def test_failed_update_keeps_old_index(server: Live, tmp_path: Path) -> None:
    mirror = tmp_path / "broken"
    folder = mirror / "swap_broken" / "2025-01-01"
    folder.mkdir(parents=True)
    cut = NEW_LIST.replace("swap_test", "swap_broken").split("    listings:")[0]
    (folder / "list.yaml").write_text(cut + "    listings:\n      - list: [EL\n",
                                      encoding="utf-8")
    admin = create_key(server.store, "admin").key
    with server.client(admin) as client:
        before = client.get("/readyz").json()["index"]
        assert client.post("/lists/update", json={"mirror": str(mirror)}).status_code == 202
        update = _wait_update(client)
        assert update["status"] == "failed"
        assert "list.yaml" in str(update["error"])
        ready = client.get("/readyz")
        assert ready.status_code == 200  # the previous lists still serve
        assert ready.json()["index"]["update_failed"] is True
        assert ready.json()["last_update"]["status"] == "failed"
        assert ready.json()["index"]["generation"] == before["generation"]
        lists = client.get("/lists").json()
        assert lists["last_update"]["status"] == "failed"
        assert "swap_broken" not in {s["source"] for s in lists["sources"]}
        assert "clearance_update_failed 1.0" in client.get("/metrics").text
        assert client.post("/screen", json={"name": "Kim Jong Un"}).status_code == 200


def test_update_needs_a_real_folder(server: Live) -> None:
    admin = create_key(server.store, "admin").key
    with server.client(admin) as client:
        assert_problem(client.post("/lists/update", json={"mirror": "/no/such/folder"}), 422)
        assert_problem(client.post("/lists/update", json={}), 422)
