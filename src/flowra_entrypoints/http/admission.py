"""Admission control: overload makes requests wait, then shed, never fail inside (issue 13).

A process works on at most `server.max_concurrent_requests` API requests at once. More wait
in arrival order for a free slot; one that waits longer than `server.queue_timeout` is
answered 503 `SERVICE_UNAVAILABLE` with `Retry-After`, before it has touched anything.

Why at the door rather than around each database call: a request admitted here runs to the
end with the database's whole timeout budget, so load alone can no longer time out the
steps that follow a commit (which would turn a stored change into an error), and a request
that is shed has changed nothing and can simply be retried. Probes, metrics, the docs and
WebSocket upgrades are never queued: they must answer precisely when the API is busy.
"""

from __future__ import annotations

import asyncio
import math

from flowra_core.domain.errors import ErrorCode
from flowra_entrypoints.http.access import (
    ASGIApp,
    Receive,
    Scope,
    Send,
    raw_problem,
    send_raw_problem,
)
from flowra_entrypoints.http.request_context import request_id_of
from flowra_entrypoints.metrics import Metrics

UNQUEUED_PREFIXES = ("/health", "/ready", "/metrics", "/docs", "/schema", "/api/v1/ws")


class AdmissionMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_concurrent: int,
        queue_timeout: float,
        metrics: Metrics | None = None,
    ) -> None:
        self._app = app
        self._slots = asyncio.Semaphore(max_concurrent)
        self._queue_timeout = queue_timeout
        # A client that retries sooner would only join the same queue again.
        self._retry_after = str(max(1, math.ceil(queue_timeout)))
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNQUEUED_PREFIXES):
            await self._app(scope, receive, send)
            return
        if not await self._admitted():
            await self._shed(scope, send)
            return
        if self._metrics is not None:
            self._metrics.requests_in_flight.inc()
        try:
            await self._app(scope, receive, send)
        finally:
            self._slots.release()
            if self._metrics is not None:
                self._metrics.requests_in_flight.dec()

    async def _admitted(self) -> bool:
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot: taken without waiting
            return True
        if self._queue_timeout <= 0:
            return False
        try:
            async with asyncio.timeout(self._queue_timeout):
                await self._slots.acquire()
        except TimeoutError:
            return False
        return True

    async def _shed(self, scope: Scope, send: Send) -> None:
        if self._metrics is not None:
            self._metrics.requests_shed.inc()
        body = raw_problem(
            status=503,
            code=ErrorCode.SERVICE_UNAVAILABLE,
            title="Service unavailable",
            detail=f"The server is busy; retry in {self._retry_after} s",
            path=scope["path"],
            request_id=request_id_of(scope),
        )
        await send_raw_problem(
            send, status=503, body=body, headers=[(b"retry-after", self._retry_after.encode())]
        )
