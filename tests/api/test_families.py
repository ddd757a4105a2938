"""The HTTP API returns every match of a family of listings, and never answers "no match"
without a list behind it; a real server on loopback over the real CSL and SDN lists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.helpers import Live, assert_problem, copy_store, start_server
from clearance.screening import Screener
from clearance.store import Store
from clearance.store.keys import create_key
from families import FAMILIES, FAMILY_DAY

Truth = dict[str, set[str]]


@pytest.fixture(scope="module")
def family_live(family_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("family-live")
    server = start_server(copy_store(family_home / "clearance.db", folder / "live.db"),
                          folder / "home", family_home / "cache")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def family_key(family_live: Live) -> str:
    return create_key(family_live.store, "screener", name="family tests").key


def test_screen_counts_every_match_and_alerts_them_all(family_live: Live, family_key: str,
                                                      family_truth: Truth) -> None:
    name = FAMILIES[0]
    with family_live.client(family_key) as client:
        body = client.post("/screen", json={"name": name, "as_of": FAMILY_DAY, "limit": 5})
    assert body.status_code == 200, body.text
    out = body.json()
    assert out["total_matches"] == len(family_truth[name])
    assert len(out["results"]) == 5
    assert {a["entity_id"] for a in out["alerts"]} == family_truth[name]
    assert {v["source"] for v in out["versions"]} == {"us_csl", "us_ofac_sdn"}


def test_batch_counts_every_match(family_live: Live, family_key: str,
                                  family_truth: Truth) -> None:
    records = [{"id": f"r{n}", "name": name} for n, name in enumerate(FAMILIES)]
    with family_live.client(family_key) as client:
        body = client.post("/screen/batch", json={"records": records, "as_of": FAMILY_DAY,
                                                  "matches_only": True, "limit": 100})
    assert body.status_code == 200, body.text
    for n, item in enumerate(body.json()["results"]):
        expected = family_truth[FAMILIES[n]]
        assert item["total_matches"] == len(expected)
        # limit (at most 100) trims what is shown; the total still counts every match.
        assert {r["entity_id"] for r in item["results"]} <= expected
        assert len(item["results"]) == min(100, len(expected))


def test_yente_match_totals_every_match(family_live: Live, family_key: str,
                                        family_home: Path) -> None:
    # /match answers with the lists in force today.
    today = Screener.from_store(Store.open(f"sqlite:///{family_home / 'clearance.db'}"),
                                cache_dir=family_home / "cache")
    name = FAMILIES[1]
    truth = {r.entity_id for r in today.screen_all(name) if r.match}
    assert len(truth) >= 10
    query = {"queries": {"q": {"schema": "Company", "properties": {"name": [name]}}}}
    with family_live.client(family_key, scheme="ApiKey") as client:
        body = client.post("/match/default?limit=5&threshold=0.6&cutoff=0.6", json=query)
    assert body.status_code == 200, body.text
    found = body.json()["responses"]["q"]
    assert found["total"]["value"] == len(truth)
    assert len(found["results"]) == 5


def test_no_list_in_force_is_a_conflict_not_a_clear(family_live: Live, family_key: str,
                                                    tmp_path: Path) -> None:
    with family_live.client(family_key) as client:
        early = client.post("/screen", json={"name": "Kim Jong Un", "as_of": "2018-05-01"})
        unknown = client.post("/screen", json={"name": "Kim Jong Un", "lists": ["UN"]})
    assert "us_csl" in assert_problem(early, 409)["detail"]
    assert "UN" in assert_problem(unknown, 409)["detail"]

    empty = start_server(Store.open(f"sqlite:///{tmp_path / 'empty.db'}"), tmp_path / "home",
                         tmp_path / "cache")
    try:
        key = create_key(empty.store, "screener", name="empty").key
        with empty.client(key) as client:
            screened = client.post("/screen", json={"name": "Kim Jong Un"})
            matched = client.post("/match/default", json={"queries": {"q": {
                "schema": "Person", "properties": {"name": ["Kim Jong Un"]}}}})
        assert "no list is in force" in assert_problem(screened, 409)["detail"]
        assert_problem(matched, 409)
    finally:
        empty.stop()
