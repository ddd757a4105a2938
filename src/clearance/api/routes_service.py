"""Health, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from clearance.api.auth import require
from clearance.api.deps import AUTH_ERRORS, json_response, problem_docs, services
from clearance.api.metrics import CONTENT_TYPE
from clearance.api.models import HealthResponse, ReadyResponse
from clearance.store.keys import ApiKey

router = APIRouter()


@router.get("/healthz", response_model=HealthResponse, tags=["Service"])
def healthz() -> Response:
    """Liveness: the process answers. No key needed."""
    return json_response({"status": "ok"})


@router.get("/readyz", response_model=ReadyResponse, tags=["Service"],
            responses={503: {"model": ReadyResponse, "description": "No index loaded yet"}})
def readyz(request: Request) -> Response:
    """Readiness: 200 once an index is loaded. A failed list update is reported here
    (``index.update_failed``, ``last_update.error``) while the previous lists keep serving.
    No key needed."""
    state = services(request).holder.state()
    status = "ready" if state["ready"] else "failed" if state["load_error"] else "loading"
    index = {k: v for k, v in state.items() if k not in ("last_update", "published")}
    return json_response({"status": status, "index": index, "last_update": state["last_update"]},
                         200 if state["ready"] else 503)


@router.get("/metrics", tags=["Service"], response_class=Response,
            responses={200: {"content": {CONTENT_TYPE.split(";")[0]: {"schema": {
                "type": "string"}}}, "description": "Prometheus text exposition"},
                **problem_docs(*AUTH_ERRORS)})
def metrics(request: Request, _key: Annotated[ApiKey, Depends(require("analyst"))]
            ) -> Response:
    """Prometheus metrics: requests, latency histogram, list ages, index size."""
    return Response(services(request).metrics.render(), media_type=CONTENT_TYPE)


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, _key: Annotated[ApiKey, Depends(require("screener"))]
            ) -> Response:
    """The OpenAPI document (behind a key, like everything but the health checks)."""
    return json_response(request.app.openapi())
