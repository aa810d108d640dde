"""Limits on what a request may send: its body, counted as the bytes arrive.

A declared ``Content-Length`` past the limit is refused before a byte is read, but it is not
trusted: a chunked body declares none, so the bytes are also counted as the server hands them
over, and the request is answered 413 as soon as they pass the limit, whatever the route had
begun. The answer is RFC 9457 problem details like every other error.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xinyong.config import Settings
from xinyong.errors import FieldError, XinyongError
from xinyong.http.problems import problem


class BodyTooLarge(XinyongError):
    """413: the request body passed ``max_request_body_bytes``."""

    def __init__(self, limit: int) -> None:
        message = f"请求体超过 {limit / (1 << 20):g} MB 的上限，未予处理：请分批提交"
        super().__init__(
            code="request.too_large",
            title=message,
            status=413,
            errors=[FieldError("body", "request.too_large", message)],
            # The rest of the body is never read: the connection cannot carry another request.
            headers={"Connection": "close"},
        )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


class BodyLimit:
    """ASGI middleware: 413 problem details for a request body past ``max_bytes``."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await problem(BodyTooLarge(self.max_bytes))(scope, receive, send)
            return
        received = 0
        exceeded = started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the route's answer to a cut body (often a 400) gives way to the 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await problem(BodyTooLarge(self.max_bytes))(scope, receive, send)


def install(app: FastAPI, settings: Settings) -> None:
    """Refuse request bodies past ``settings.max_request_body_bytes``."""
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_body_bytes)
