"""Request body limits, enforced while the body streams in (not after it is in memory).

A declared ``Content-Length`` over the limit is refused before reading; a
chunked body is counted as it arrives and cut off at the limit. File uploads
(``POST /jobs``) get their own, larger limit.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clearance.api.problems import problem_response


class BodyTooLarge(HTTPException):
    """The body grew past the limit while streaming (FastAPI re-raises HTTPExceptions as is)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes",
                         headers={"Connection": "close"})


class BodyLimitMiddleware:
    """Answers 413 (problem+json) to any request body larger than its route allows."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int,
                 upload_paths: tuple[str, ...] = ("/jobs",)) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload_bytes if scope["path"] in self.upload_paths else self.max_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(scope, receive, send, limit)
            return
        state = {"seen": 0, "started": False}

        async def counted_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["seen"] += len(message.get("body", b""))
                if state["seen"] > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if not state["started"]:
                await _too_large(scope, receive, send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = problem_response(413, f"the request body is larger than {limit} bytes",
                                headers={"Connection": "close"})
    await response(scope, receive, send)
