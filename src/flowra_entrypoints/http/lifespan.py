"""The API's lifespan: what starts with the app and stops with it (identity, shared Redis, the
WebSocket gateway, the embedded worker), taken from the container the app is bound to."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from flowra_entrypoints.container import (
    Components,
    Container,
    resolve_components,
    resolve_gateway,
)
from flowra_entrypoints.identity import IdentitySide
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.redis_side import RedisSide
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.worker.jobs import build_jobs
from flowra_entrypoints.worker.runner import JobRunner
from flowra_entrypoints.worker.webhook_job import build_webhook_job

# The app-state entry holding the container the state was filled from (app.py, `bind_container`).
CONTAINER_KEY = "container"


class EmbeddedWorker:
    """Unified mode: the worker's jobs as a task of the API process."""

    def __init__(self, runner: JobRunner) -> None:
        self._runner = runner
        self._task = asyncio.create_task(runner.run(), name="embedded-worker")

    async def stop(self) -> None:
        self._runner.stop()
        await self._task


def embedded_worker(container: Container, components: Components) -> EmbeddedWorker:
    settings: Settings = container.settings()
    metrics: Metrics = container.metrics()
    jobs = build_jobs(
        components.core, settings, metrics, container.http_client(), container.event_bus()
    )
    jobs.append(build_webhook_job(components.governance, settings, metrics))
    return EmbeddedWorker(JobRunner(jobs, components.locks, owner=f"api-{uuid.uuid4()}"))


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """Sets `app.state.core`, `ws_gateway` and `governance`, starts what runs beside the
    requests, and on exit stops it all and releases the container's resources."""
    container: Container = app.state[CONTAINER_KEY]
    settings: Settings = container.settings()
    components = await resolve_components(container)
    gateway = await resolve_gateway(container)
    core = components.core
    app.state.core = core
    app.state.ws_gateway = gateway
    app.state.governance = components.governance
    await core.users.ensure_bot()
    identity: IdentitySide = container.identity()
    await identity.start()
    shared: RedisSide | None = container.shared_redis()
    if shared is not None:
        await shared.start(gateway.presence_changed)
    gateway.start()
    jobs = embedded_worker(container, components) if settings.worker.embedded else None
    try:
        yield
    finally:
        app.state.shutting_down = True
        await gateway.stop()  # WebSockets close with 1001 (operations.md §10)
        if jobs is not None:
            await jobs.stop()
        if shared is not None:
            await shared.stop()
        await container.http_client().aclose()
        # dependency-injector returns an awaitable only when async resources were opened.
        closing = container.shutdown_resources()
        if closing is not None:
            await closing
