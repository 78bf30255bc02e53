"""The worker's small HTTP listener on `worker.metrics_port`: `/health`, `/ready` and
`/metrics` (operations.md §7, §8).

A bare ASGI function rather than a Litestar app: three fixed GET routes need no router, and
the worker process stays free of the web framework (its memory and start-up, issue 13).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec

from flowra_entrypoints.health import HealthRegistry
from flowra_entrypoints.metrics import Metrics

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_JSON = b"application/json"


class WorkerListener:
    def __init__(self, health: HealthRegistry, metrics: Metrics) -> None:
        self._health = health
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # served with lifespan="off": nothing else arrives
            return
        path, method = scope["path"], scope["method"]
        if method not in ("GET", "HEAD"):
            await _answer(send, 405, _JSON, msgspec.json.encode({"status": "method_not_allowed"}))
        elif path == "/health":
            await _answer(send, 200, _JSON, msgspec.json.encode({"status": "healthy"}))
        elif path == "/ready":
            await self._ready(send)
        elif path == "/metrics":
            payload, content_type = self._metrics.exposition()
            await _answer(send, 200, content_type.encode(), payload)
        else:
            await _answer(send, 404, _JSON, msgspec.json.encode({"status": "not_found"}))

    async def _ready(self, send: Send) -> None:
        components = await self._health.readiness()
        ready = all(component.status != "unhealthy" for component in components.values())
        body: dict[str, Any] = {
            "status": "ready" if ready else "not_ready",
            "components": components,
        }
        await _answer(send, 200 if ready else 503, _JSON, msgspec.json.encode(body))


async def _answer(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
