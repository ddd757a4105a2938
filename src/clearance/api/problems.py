"""Errors as RFC 7807 problem details (``application/problem+json``), never a stack trace.

Every error leaving the service has the same shape: ``type``, ``title``,
``status``, ``detail`` and, for invalid input, ``errors`` naming each field.
Unexpected exceptions are logged on the server and answered with a bare 500.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from clearance.errors import ClearanceError

log = logging.getLogger("clearance.api")

PROBLEM_TYPE = "about:blank"
MEDIA_TYPE = "application/problem+json"

_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
           415: "Unsupported Media Type", 422: "Unprocessable Content",
           429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable"}


class Problem(Exception):
    """Raise to answer with a problem document (status, detail and optional headers)."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_response(status: int, detail: str, headers: dict[str, str] | None = None,
                     **extra: Any) -> Response:
    body = {"type": PROBLEM_TYPE, "title": _TITLES.get(status, "Error"), "status": status,
            "detail": detail, **extra}
    return Response(orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE,
                    headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""
    app.add_exception_handler(Problem, _problem)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(ClearanceError, _clearance)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


async def _problem(_request: Request, exc: Problem) -> Response:
    return problem_response(exc.status, exc.detail, exc.headers, **exc.extra)


async def _http(_request: Request, exc: StarletteHTTPException) -> Response:
    detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Error")
    return problem_response(exc.status_code, detail, dict(exc.headers or {}))


async def _validation(_request: Request, exc: RequestValidationError) -> Response:
    errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")),
               "type": str(e.get("type", ""))} for e in exc.errors()[:50]]
    bad_json = any(e["type"] == "json_invalid" for e in errors)
    status = 400 if bad_json else 422
    detail = "the request body is not valid JSON" if bad_json else "the request is invalid"
    return problem_response(status, detail, errors=errors)


async def _clearance(_request: Request, exc: ClearanceError) -> Response:
    return problem_response(exc.http_status, exc.message, error=type(exc).__name__)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "an unexpected error occurred; it has been logged")
