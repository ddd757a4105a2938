"""The auth matrix: every endpoint × no key, bad key, revoked key, each role."""

from __future__ import annotations

from typing import Any

import pytest

from api.helpers import Live, assert_problem
from clearance.store.keys import ROLES

SCREEN = {"name": "Kim Jong Un"}
MATCH = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Kim Jong Un"]}}}}

# (method, path, minimum role, JSON body or None)
ENDPOINTS: list[tuple[str, str, str, Any]] = [
    ("POST", "/screen", "screener", SCREEN),
    ("POST", "/screen/batch", "screener", {"records": [SCREEN]}),
    ("POST", "/match/default", "screener", MATCH),
    ("GET", "/search/default?q=rosneft", "screener", None),
    ("GET", "/openapi.json", "screener", None),
    ("GET", "/jobs/0123456789abcdef", "screener", None),
    ("GET", "/jobs/0123456789abcdef/results", "screener", None),
    ("DELETE", "/jobs/0123456789abcdef", "screener", None),
    ("GET", "/entities/us_ofac_sdn:20157", "analyst", None),
    ("GET", "/lists", "analyst", None),
    ("GET", "/metrics", "analyst", None),
    ("POST", "/lists/update", "admin", {"mirror": "/nonexistent-mirror-folder"}),
]
IDS = [f"{m} {p}" for m, p, _, _ in ENDPOINTS]


def _call(live: Live, key: str | None, method: str, path: str, body: Any,
          scheme: str = "Bearer") -> Any:
    with live.client(key, scheme) as client:
        return client.request(method, path, json=body)


@pytest.mark.parametrize(("method", "path", "role", "body"), ENDPOINTS, ids=IDS)
def test_no_key_bad_key_revoked_key(live: Live, keys: dict[str, str], method: str, path: str,
                                    role: str, body: Any) -> None:
    for key in (None, "clr_nothing_" + "x" * 40, "not-a-key", keys["revoked"],
                keys["admin"][:-1] + ("A" if keys["admin"][-1] != "A" else "B")):
        response = _call(live, key, method, path, body)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "role", "body"), ENDPOINTS, ids=IDS)
def test_roles(live: Live, keys: dict[str, str], method: str, path: str, role: str,
               body: Any) -> None:
    needed = ROLES.index(role)
    for have, name in enumerate(ROLES):
        response = _call(live, keys[name], method, path, body)
        if have < needed:
            assert_problem(response, 403)
        else:
            assert response.status_code not in (401, 403), (name, response.text)
            assert response.status_code < 500


def test_yente_apikey_scheme(live: Live, keys: dict[str, str]) -> None:
    response = _call(live, keys["screener"], "POST", "/match/default", MATCH, scheme="ApiKey")
    assert response.status_code == 200
    lower = _call(live, keys["screener"], "POST", "/screen", SCREEN, scheme="bearer")
    assert lower.status_code == 200


def test_health_endpoints_need_no_key(live: Live) -> None:
    with live.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
        assert ready.json()["index"]["entities"] == 8976 + 5


def test_unknown_paths_are_problems(live: Live, keys: dict[str, str]) -> None:
    with live.client(keys["admin"]) as client:
        assert_problem(client.get("/nothing/here"), 404)
        assert_problem(client.delete("/screen"), 405)
