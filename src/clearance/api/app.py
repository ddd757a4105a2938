"""The FastAPI application: ``create_app(settings)`` wires the store, index and routes.

The app holds no screening logic: it parses and limits input, checks keys,
calls the screening API and shapes answers. Everything is reached through
``app.state.services`` so that several apps can live in one process (tests).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.responses import Response

import clearance
from clearance.api import problems, routes_data, routes_jobs, routes_screening, routes_service
from clearance.api.auth import KeyVerifier, RateLimiter
from clearance.api.config import ApiSettings
from clearance.api.deps import Services
from clearance.api.holder import NotReady, ScreenerHolder, Updater
from clearance.api.jobs import JobManager
from clearance.api.limits import BodyLimitMiddleware
from clearance.api.metrics import Metrics, MetricsMiddleware
from clearance.api.routes_check import router as check_router
from clearance.matching.kernels import warm_up
from clearance.store import Store
from clearance.store.checkpoints import background_checkpoints

DESCRIPTION = """Restricted-party and export-control screening against the official lists,
with the list history behind every answer.

Every endpoint but `/healthz` and `/readyz` needs an API key
(`Authorization: Bearer <key>`, or `ApiKey <key>` as yente clients send it),
created with `clearance keys create --role screener|analyst|admin`.
Errors are RFC 7807 problem details (`application/problem+json`).
`/match/{dataset}` and `/search/{dataset}` speak yente's request and response shapes."""


def create_app(settings: ApiSettings | None = None, store: Store | None = None,
               updater: Updater | None = None) -> FastAPI:
    """A ready-to-serve app; the index loads in the background once it starts."""
    settings = settings or ApiSettings()
    store = store or Store.open(settings=settings)
    holder = ScreenerHolder(store, settings, updater)
    svc = Services(settings, store, holder, KeyVerifier(store, settings.key_cache_seconds),
                   RateLimiter(settings.rate_per_second, settings.rate_burst),
                   Metrics(holder.state),
                   JobManager(settings.home / "jobs", settings.job_workers,
                              settings.max_job_records, settings.job_time_limit))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        _rarer_full_collections()
        warm_up()  # the matching kernels compiled before the first request, not during it
        holder.start()
        with background_checkpoints(store.engine):
            yield
        holder.stop()
        svc.jobs.shutdown()

    app = FastAPI(title="clearance", version=clearance.__version__ if hasattr(
        clearance, "__version__") else "0.1.0", description=DESCRIPTION, lifespan=lifespan,
        openapi_url=None, docs_url=None, redoc_url=None)
    app.state.services = svc
    problems.install(app)
    app.add_exception_handler(NotReady, _not_ready)  # type: ignore[arg-type]
    for module in (routes_screening, routes_data, routes_jobs, routes_service):
        app.include_router(module.router)
    app.include_router(check_router)
    _middleware(app, svc)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _rarer_full_collections() -> None:
    """Full garbage collections ten times rarer than Python's default.

    The matcher's caches hold some hundreds of thousands of small objects that every
    full collection walks (40 to 140 ms each, measured under load), and with the
    index itself frozen out of the collector, Python's default ran one every few
    hundred requests: those pauses made the 99th-percentile latency. Nearly all
    garbage is freed by reference counting; the rest waits a little longer.
    """
    young, middle, _old = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_THRESHOLD)


FULL_COLLECTION_THRESHOLD = 100
"""Collections of the middle generation between two full ones (Python's default: 10)."""


def _middleware(app: FastAPI, svc: Services) -> None:
    """Innermost first: CORS (only if origins are configured), body limit, metrics."""
    if svc.settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=svc.settings.cors_origins,
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(BodyLimitMiddleware, max_bytes=svc.settings.max_body_bytes,
                       max_upload_bytes=svc.settings.max_upload_bytes)
    app.add_middleware(MetricsMiddleware, metrics=svc.metrics)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document, plus the bearer-key security scheme."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    schema.setdefault("components", {})["securitySchemes"] = {
        "apiKey": {"type": "http", "scheme": "bearer",
                   "description": "An API key from `clearance keys create`."}}
    open_paths = {"/healthz", "/readyz"}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            operation["security"] = [] if path in open_paths else [{"apiKey": []}]
    app.openapi_schema = schema
    return schema


async def _not_ready(_request: Request, _exc: NotReady) -> Response:
    return problems.problem_response(503, "the index is still loading; try again shortly",
                                     headers={"Retry-After": "5"})
