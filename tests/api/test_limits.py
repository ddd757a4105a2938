"""Limits and bad input: 4xx problem documents, never a stack trace; CORS closed; rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.helpers import Live, assert_problem, copy_store, start_server


def test_huge_body_is_413(live: Live, keys: dict[str, str]) -> None:
    big = b'{"name": "' + b"a" * 2_000_000 + b'"}'
    with live.client(keys["screener"]) as client:
        assert_problem(client.post("/screen", content=big,
                                   headers={"Content-Type": "application/json"}), 413)

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
            yield b'{"name": "'
            for _ in range(40):
                yield b"a" * 50_000
            yield b'"}'

        assert_problem(client.post("/screen", content=chunks(),
                                   headers={"Content-Type": "application/json"}), 413)


def test_batch_too_big_is_422(live: Live, keys: dict[str, str]) -> None:
    records = [{"name": f"Person {i}"} for i in range(1001)]
    with live.client(keys["screener"]) as client:
        body = assert_problem(client.post("/screen/batch", json={"records": records}), 422)
    assert body["errors"][0]["loc"] == ["body", "records"]


def test_bad_json_is_400(live: Live, keys: dict[str, str]) -> None:
    with live.client(keys["screener"]) as client:
        for bad in (b"{", b'{"name": "x",}', b"\xff\xfe not json", b"[1, 2"):
            assert_problem(client.post("/screen", content=bad,
                                       headers={"Content-Type": "application/json"}), 400)


@pytest.mark.parametrize("body", [
    {}, {"name": ""}, {"name": "   "}, {"name": 42}, {"name": ["a"]}, {"name": "x" * 501},
    {"name": "x", "schema": "Ship"}, {"name": "x", "limit": 0}, {"name": "x", "limit": 10_000},
    {"name": "x", "threshold": 2}, {"name": "x", "as_of": "yesterday"},
    {"name": "x", "countries": ["de"] * 21}, {"name": "x", "unexpected": 1}, [], "x", None,
])
def test_invalid_fields_are_422(live: Live, keys: dict[str, str], body: object) -> None:
    with live.client(keys["screener"]) as client:
        problem = assert_problem(client.post("/screen", json=body), 422)
    assert problem["errors"]


def test_long_query_parameters(live: Live, keys: dict[str, str]) -> None:
    with live.client(keys["analyst"]) as client:
        assert_problem(client.get("/search/default", params={"q": "x" * 501}), 422)
        assert_problem(client.get("/entities/" + "x" * 201), 422)


def test_cors_closed_by_default(live: Live, keys: dict[str, str]) -> None:
    with live.client(keys["screener"]) as client:
        preflight = client.options("/screen", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in preflight.headers
        simple = client.post("/screen", json={"name": "x"},
                             headers={"Origin": "https://evil.example"})
        assert simple.status_code == 200
        assert "access-control-allow-origin" not in simple.headers


@pytest.fixture(scope="module")
def strict(api_db: Path, index_cache: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Live]:
    """A server with a tight rate limit (2/s, burst 3) and a smaller batch limit."""
    folder = tmp_path_factory.mktemp("strict")
    server = start_server(copy_store(api_db, folder / "s.db"), folder / "home", index_cache,
                          max_batch=5)
    server.app.state.services.limiter.rate = 2.0
    server.app.state.services.limiter.burst = 3.0
    yield server
    server.stop()


def test_rate_limit_per_key(strict: Live) -> None:
    from clearance.store.keys import create_key

    first = create_key(strict.store, "screener").key
    second = create_key(strict.store, "screener").key
    with strict.client(first) as client:
        codes = [client.post("/screen", json={"name": "x"}).status_code for _ in range(6)]
        assert codes[:3] == [200, 200, 200]
        assert 429 in codes[3:]
        limited = client.post("/screen", json={"name": "x"})
        assert_problem(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1
    with strict.client(second) as other:  # the limit is per key
        assert other.post("/screen", json={"name": "x"}).status_code == 200
    assert httpx.get(f"{strict.url}/healthz").status_code == 200


def test_configured_batch_limit(strict: Live) -> None:
    from clearance.store.keys import create_key

    key = create_key(strict.store, "screener").key
    with strict.client(key) as client:
        records = [{"name": f"n{i}"} for i in range(6)]
        assert_problem(client.post("/screen/batch", json={"records": records}), 422)


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "x", "limit": True}, "limit"),
    ({"name": "x", "threshold": True}, "threshold"),
    ({"name": "x", "matches_only": "yes"}, "matches_only"),
    ({"name": "x", "matches_only": 1}, "matches_only"),
    ({"name": "x", "limit": "5"}, "limit"),
    ({"name": "x", "as_of": 1_600_000_000}, "as_of"),
    ({"name": "x", "birth_date": "not-a-date"}, "birth_date"),
    ({"name": "x", "birth_date": "1984-13-45"}, "birth_date"),
    ({"name": "\x00"}, "name"),
    ({"name": "\u200b\u200c\u200d\ufeff"}, "name"),
    ({"name": "\x01\x02\x1f \x7f"}, "name"),
    ({"name": "\u200b-.,"}, "name"),
])
def test_wrong_types_bad_dates_and_empty_names_are_422(live: Live, keys: dict[str, str],
                                                       body: dict[str, object],
                                                       field: str) -> None:
    with live.client(keys["screener"]) as client:
        problem = assert_problem(client.post("/screen", json=body), 422)
        assert [e["loc"] for e in problem["errors"]] == [["body", field]], problem
        batch = {"records": [{"name": "Jane Miller"}, {k: v for k, v in body.items()
                                                       if k in ("name", "birth_date")}],
                 **{k: v for k, v in body.items() if k not in ("name", "birth_date")}}
        problem = assert_problem(client.post("/screen/batch", json=batch), 422)
        where = ["body", "records", "1", field] if field in ("name", "birth_date") \
            else ["body", field]
        assert [e["loc"] for e in problem["errors"]] == [where], problem


def test_the_right_types_still_pass(live: Live, keys: dict[str, str]) -> None:
    with live.client(keys["screener"]) as client:
        answer = client.post("/screen", json={
            "name": "Kim Jong Un", "limit": 2, "threshold": 1, "matches_only": False,
            "as_of": "2021-07-07", "birth_date": "8 Jan 1984"})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["results"]) <= 2
