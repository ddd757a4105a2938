"""What every route needs: the service objects, fast JSON, documented error answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response

from clearance.api.auth import KeyVerifier, RateLimiter
from clearance.api.config import ApiSettings
from clearance.api.holder import NotReady, ScreenerHolder
from clearance.api.jobs import JobManager
from clearance.api.metrics import Metrics
from clearance.api.models import Problem as ProblemModel
from clearance.api.problems import Problem
from clearance.audit import AuditTrail
from clearance.cases import CaseBook
from clearance.screening import Screener
from clearance.store import Store
from clearance.store.keys import ApiKey


@dataclass
class Services:
    """The objects one app instance serves with (on ``app.state.services``)."""

    settings: ApiSettings
    store: Store
    holder: ScreenerHolder
    verifier: KeyVerifier
    limiter: RateLimiter
    metrics: Metrics
    jobs: JobManager


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def json_response(data: Any, status: int = 200) -> Response:
    """JSON via orjson, skipping response-model validation on the hot paths."""
    return Response(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS), status_code=status,
                    media_type="application/json")


def current_screener(svc: Services, as_of: str | None = None) -> Screener:
    """The index to answer with: read once per request, so a swap never changes it midway."""
    try:
        return svc.holder.screener_for(as_of)
    except NotReady:
        raise Problem(503, "the index is still loading; try again shortly",
                      headers={"Retry-After": "5"}) from None


def audit(svc: Services) -> tuple[AuditTrail, CaseBook]:
    """The app's audit trail and case book (made on first use, on the store's database)."""
    found = svc.__dict__.get("_audit")
    if found is None:
        trail = AuditTrail(svc.store.engine, svc.settings)
        found = svc.__dict__["_audit"] = (trail, CaseBook(svc.store.engine, svc.settings, trail))
    return found  # type: ignore[no-any-return]


def actor(key: ApiKey) -> str:
    """Who screened, for the audit trail: the API key's name (else its id)."""
    return key.name or f"key {key.id}"


def versions(screener: Screener) -> list[dict[str, Any]]:
    return [{"source": v.source, "seq": v.seq, "published": v.published, "sha256": v.sha256}
            for v in screener.versions]


_PROBLEM_SCHEMA = ProblemModel.model_json_schema()


def problem_docs(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json answers a route can give."""
    texts = {400: "Malformed request (e.g. invalid JSON)", 401: "No valid API key",
             403: "The key's role is too low", 404: "Not found", 409: "Conflict",
             413: "Request body too large", 422: "Invalid input",
             429: "Rate limit exceeded", 503: "Index not loaded yet"}
    return {s: {"description": texts.get(s, "Error"),
                "content": {"application/problem+json": {"schema": _PROBLEM_SCHEMA}}}
            for s in statuses}


AUTH_ERRORS = (401, 403, 429)
BODY_ERRORS = (400, 413, 422)
