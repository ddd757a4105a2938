"""Who may call what: API keys with roles, and a per-key rate limit.

Keys come as ``Authorization: Bearer <key>`` or ``Authorization: ApiKey <key>``
(yente's form). A verified key is trusted for a few seconds before the store is
asked again, so that a busy service does not hit the database on every request;
a revocation therefore takes at most ``key_cache_seconds`` to bite. The rate
limit is a token bucket per key id, in memory (per worker process).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from clearance.api.problems import Problem
from clearance.store import Store
from clearance.store.keys import ApiKey, verify_key

SCHEMES = ("bearer", "apikey")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="clearance"'}


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """A token bucket per key: ``rate`` tokens a second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(max(1, burst))
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str, cost: float = 1.0) -> float:
        """0 if allowed now, else the seconds to wait before trying again."""
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None:
                bucket = self._buckets[key_id] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return 0.0
            return (cost - bucket.tokens) / self.rate if self.rate > 0 else 60.0


class KeyVerifier:
    """Verifies keys against the store, remembering good ones for ``ttl`` seconds.

    A key in use is verified again in the background in the last :attr:`REFRESH_SHARE`
    of its time, once at a time: under steady traffic its entry never runs out, so no
    request waits for the store (each expiry used to send every request in flight to a
    thread at once, a stall every ``ttl`` seconds). A revoked key still stops working
    within ``ttl``: its entry is dropped by the refresh, or runs out.
    """

    REFRESH_SHARE = 0.3

    def __init__(self, store: Store, ttl: float) -> None:
        self.store = store
        self.ttl = ttl
        self._cache: dict[str, tuple[ApiKey, float]] = {}
        self._refreshing: set[str] = set()
        self._lock = threading.Lock()

    def cached(self, key: str) -> ApiKey | None:
        """The key's role if it was verified less than ``ttl`` seconds ago, else None."""
        digest = _digest(key)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
            if hit is None or hit[1] <= now:
                return None
            refresh = hit[1] - now < self.ttl * self.REFRESH_SHARE \
                and digest not in self._refreshing
            if refresh:
                self._refreshing.add(digest)
        if refresh:
            threading.Thread(target=self._refresh, args=(key, digest), daemon=True,
                             name="key-refresh").start()
        return hit[0]

    def verify(self, key: str) -> ApiKey | None:
        hit = self.cached(key)
        if hit is not None:
            return hit
        return self._verify(key, _digest(key))

    def _verify(self, key: str, digest: str) -> ApiKey | None:
        now = time.monotonic()
        info = verify_key(self.store, key)
        with self._lock:
            if info is None:
                self._cache.pop(digest, None)
            else:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[digest] = (info, now + self.ttl)
        return info

    def _refresh(self, key: str, digest: str) -> None:
        try:
            self._verify(key, digest)
        except Exception:  # the store is unreachable: the entry runs out as it would have
            pass
        finally:
            with self._lock:
                self._refreshing.discard(digest)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def bearer_key(request: Request) -> str | None:
    """The key in the Authorization header (Bearer or ApiKey scheme), if any."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in SCHEMES and value.strip():
        return value.strip()
    return None


def require(role: str) -> Callable[[Request], ApiKey]:
    """A FastAPI dependency: the caller's key, which must have at least ``role``."""

    async def dependency(request: Request) -> ApiKey:
        services = request.app.state.services
        key = bearer_key(request)
        info = None
        if key and len(key) < 200:
            # A key verified lately is answered here; otherwise the store is asked, in a
            # thread, not on the event loop.
            info = services.verifier.cached(key) or await run_in_threadpool(
                services.verifier.verify, key)
        if info is None:
            raise Problem(401, "a valid API key is required (Authorization: Bearer <key>)",
                          headers=_CHALLENGE)
        if not info.allows(role):
            raise Problem(403, f"this endpoint needs the {role} role; the key has {info.role}")
        wait = services.limiter.take(info.id)
        if wait > 0:
            raise Problem(429, "rate limit exceeded for this API key",
                          headers={"Retry-After": str(max(1, round(wait + 0.5)))})
        request.state.api_key = info
        return info

    dependency.__name__ = f"require_{role}"
    return dependency
