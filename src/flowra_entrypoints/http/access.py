"""Outermost ASGI layer: request id, write timeout and one access-log line per request.

It wraps the whole Litestar app (not a route-level middleware) so unknown routes,
405s and errors raised before routing are logged and carry a request id too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec
from litestar import Litestar
from loguru import logger

from flowra_core.domain.errors import ErrorCode
from flowra_entrypoints.http.request_context import (
    REQUEST_ID_HEADER,
    choose_request_id,
    rate_limit_headers,
    set_request_id,
    user_id_of,
)
from flowra_entrypoints.metrics import Metrics, route_label
from flowra_entrypoints.transport_errors import ProblemCode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Probes and scrapes are frequent and uninteresting: their access lines go to DEBUG.
QUIET_PATHS = frozenset({"/health", "/ready", "/metrics"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def raw_problem(
    *, status: int, code: ProblemCode, title: str, detail: str, path: str, request_id: str
) -> bytes:
    """A problem body for answers given outside Litestar (timeouts, limits)."""
    return msgspec.json.encode(
        {
            "type": f"urn:flowra:problem:{code.value}",
            "title": title,
            "status": status,
            "detail": detail,
            "code": code.value,
            "instance": path,
            "request_id": request_id,
        }
    )


async def send_raw_problem(
    send: Send, *, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class AccessLogMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        litestar: Litestar,
        write_timeout: float,
        metrics: Metrics | None = None,
    ) -> None:
        self.litestar = litestar
        self._app = app
        self._metrics = metrics
        self._write_timeout = write_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                set_request_id(scope, choose_request_id(_header(scope, b"x-request-id")))
            await self._app(scope, receive, send)
            return
        request_id = choose_request_id(_header(scope, REQUEST_ID_HEADER.encode()))
        set_request_id(scope, request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(rate_limit_headers(scope))
                message["headers"] = headers
            await send(message)

        try:
            async with asyncio.timeout(self._write_timeout):
                await self._app(scope, receive, send_with_id)
        except TimeoutError:
            if response_started:
                raise
            status = 503
            await self._send_timeout(scope, send_with_id, request_id)
        finally:
            self._log(scope, status, started, request_id)
            if self._metrics is not None:
                self._metrics.observe_http(
                    scope["method"],
                    route_label(scope.get("path_template")),
                    status,
                    time.perf_counter() - started,
                )

    async def _send_timeout(self, scope: Scope, send: Send, request_id: str) -> None:
        body = raw_problem(
            status=503,
            code=ErrorCode.SERVICE_UNAVAILABLE,
            title="Service unavailable",
            detail=f"The response was not ready within {self._write_timeout:g}s; please retry",
            path=scope["path"],
            request_id=request_id,
        )
        await send_raw_problem(send, status=503, body=body, headers=[(b"retry-after", b"5")])

    @staticmethod
    def _log(scope: Scope, status: int, started: float, request_id: str) -> None:
        path = scope["path"]
        level = "DEBUG" if path in QUIET_PATHS else "INFO"
        logger.bind(
            logger="http",
            method=scope["method"],
            path=path,
            status=status,
            duration_ms=int((time.perf_counter() - started) * 1000),
            user_id=user_id_of(scope),
            request_id=request_id,
        ).log(level, "HTTP request")
