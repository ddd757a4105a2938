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
def mirrors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder holding the mirrors the server is allowed to read."""
    return tmp_path_factory.mktemp("mirrors")


@pytest.fixture(scope="module")
def server(api_db: Path, index_cache: Path, mirrors: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("swap")
    live = start_server(copy_store(api_db, folder / "swap.db"), folder / "home", index_cache,
                        mirror_dir=mirrors / "mirror",
                        mirrors=[mirrors / "broken", mirrors / "missing"])
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


def test_swap_under_concurrent_requests(server: Live, mirrors: Path) -> None:
    mirror = mirrors / "mirror"
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


def test_failed_update_keeps_old_index(server: Live, mirrors: Path) -> None:
    mirror = mirrors / "broken"
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


def test_update_needs_a_real_folder(server: Live, mirrors: Path) -> None:
    admin = create_key(server.store, "admin").key
    with server.client(admin) as client:
        missing = assert_problem(client.post("/lists/update",
                                             json={"mirror": str(mirrors / "missing")}), 422)
        assert "does not exist" in missing["detail"]


@pytest.mark.parametrize("asked", ["/etc", "/no/such/folder", "{mirrors}/mirror/..",
                                   "{mirrors}/mirror/swap_test", "{mirrors}"])
def test_an_update_reads_only_the_mirrors_of_the_settings(server: Live, mirrors: Path,
                                                          asked: str) -> None:
    admin = create_key(server.store, "admin").key
    with server.client(admin) as client:
        before = client.get("/lists").json()["last_update"]
        problem = assert_problem(client.post("/lists/update", json={
            "mirror": asked.format(mirrors=mirrors)}), 422)
        assert problem["allowed"] == [str(mirrors / name)
                                      for name in ("mirror", "broken", "missing")]
        assert str(mirrors / "broken") in problem["detail"]
        assert client.get("/lists").json()["last_update"] == before  # nothing started


def test_without_configured_mirrors_no_update_is_possible(live: Live,
                                                          keys: dict[str, str]) -> None:
    with live.client(keys["admin"]) as client:
        for body in ({"mirror": "/etc"}, {}):
            problem = assert_problem(client.post("/lists/update", json=body), 422)
            assert problem["allowed"] == [] and "CLEARANCE_MIRRORS" in problem["detail"]
