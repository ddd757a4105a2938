"""Prometheus metrics: requests, latencies, list ages and index size.

Each app has its own registry (several apps may live in one test process).
Request counting is a plain ASGI middleware, not ``BaseHTTPMiddleware``, to
keep the per-request cost at a few microseconds. Routes are labelled by their
template (``/entities/{entity_id}``), never by the raw path, so that label
cardinality stays bounded whatever clients send.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class Metrics:
    """The service's metrics, and the state gauges read at scrape time."""

    def __init__(self, state: Callable[[], dict[str, object]]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("clearance_http_requests", "HTTP requests answered.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("clearance_http_request_duration_seconds",
                                 "Time to answer an HTTP request.", ["method", "route"],
                                 buckets=BUCKETS, registry=self.registry)
        self.registry.register(_StateCollector(state))

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


class _StateCollector(Collector):
    """Gauges computed when scraped: index size, ready flag, list ages, update failures."""

    def __init__(self, state: Callable[[], dict[str, object]]) -> None:
        self.state = state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state = self.state()
        yield _gauge("clearance_index_entities", "Entities in the serving index.",
                     float(state.get("entities", 0)))  # type: ignore[arg-type]
        yield _gauge("clearance_index_ready", "1 once an index is loaded.",
                     1.0 if state.get("ready") else 0.0)
        yield _gauge("clearance_update_failed", "1 if the last list update failed.",
                     1.0 if state.get("update_failed") else 0.0)
        ages = GaugeMetricFamily("clearance_list_age_seconds",
                                 "Seconds since the version in force of each source was "
                                 "published.", labels=["source"])
        now = datetime.now(UTC)
        for source, published in dict(state.get("published", {})).items():  # type: ignore[call-overload]
            age = _age(published, now)
            if age is not None:
                ages.add_metric([source], age)
        yield ages


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _age(published: str | None, now: datetime) -> float | None:
    if not published:
        return None
    try:
        stamp = datetime.fromisoformat(published)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return max(0.0, (now - stamp).total_seconds())


class MetricsMiddleware:
    """Counts and times every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def tracked_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(scope["method"], template, status["code"],
                                 time.perf_counter() - start)
