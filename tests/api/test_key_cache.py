"""Verified API keys are refreshed in the background before they run out, and a revoked key
still stops working within the cache's time."""

from __future__ import annotations

import time
from pathlib import Path

from clearance.api.auth import KeyVerifier
from clearance.store import Store
from clearance.store.keys import create_key, revoke_key

TTL = 2.0


def _wait_for(condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _expiry(verifier: KeyVerifier) -> float:
    ((_info, expires),) = verifier._cache.values()
    return expires


def test_a_key_in_use_is_refreshed_before_it_runs_out(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'keys.db'}")
    created = create_key(store, "screener", name="client")
    verifier = KeyVerifier(store, TTL)
    assert verifier.cached(created.key) is None
    assert verifier.verify(created.key) is not None
    first = _expiry(verifier)
    time.sleep(TTL * 0.2)
    assert verifier.cached(created.key) is not None
    assert _expiry(verifier) == first  # early in its time: no refresh
    time.sleep(TTL * 0.6)  # now in the last REFRESH_SHARE of it
    assert verifier.cached(created.key) is not None  # answered from the cache meanwhile
    _wait_for(lambda: _expiry(verifier) > first)
    time.sleep(TTL * 0.4)  # past the first expiry: still cached, no wait on the store
    assert verifier.cached(created.key) is not None


def test_a_revoked_key_is_dropped_by_the_refresh(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'keys.db'}")
    created = create_key(store, "admin", name="leaving")
    verifier = KeyVerifier(store, TTL)
    assert verifier.verify(created.key) is not None
    revoke_key(store, created.info.id)
    assert verifier.cached(created.key) is not None  # trusted for up to TTL, as documented
    time.sleep(TTL * 0.8)
    verifier.cached(created.key)  # starts the refresh, which finds the key revoked
    _wait_for(lambda: not verifier._cache)
    assert verifier.cached(created.key) is None
    assert verifier.verify(created.key) is None
