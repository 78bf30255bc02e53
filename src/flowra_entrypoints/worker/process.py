"""One worker process: the jobs under lease locks plus a small HTTP listener for
/health, /ready and /metrics on `worker.metrics_port`."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from datetime import datetime

import httpx
import uvicorn
from loguru import logger

from flowra_core.ports.live import PresenceStatus
from flowra_entrypoints.cli import EXIT_RUNTIME_FAILURE
from flowra_entrypoints.container import (
    Components,
    Container,
    build_container,
    resolve_components,
)
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.redis_side import RedisSide
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.worker.job_names import job_names
from flowra_entrypoints.worker.jobs import build_jobs
from flowra_entrypoints.worker.listener import WorkerListener
from flowra_entrypoints.worker.runner import JobRunner
from flowra_entrypoints.worker.webhook_job import build_webhook_job


class _ListenerServer(uvicorn.Server):
    """uvicorn without its own signal handling: the worker process owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _no_presence_pushes(user_id: str, status: PresenceStatus, at: datetime) -> None:
    """A worker has no WebSocket connections to tell about presence changes."""


class WorkerProcess:
    def __init__(
        self, settings: Settings, job_names: list[str], explicit_keys: frozenset[str], *, owner: str
    ) -> None:
        self._settings = settings
        self._job_names = job_names
        self._explicit_keys = explicit_keys
        self._owner = owner
        self._stopping = False
        self._runner: JobRunner | None = None
        self._server: uvicorn.Server | None = None

    def request_stop(self) -> None:
        if self._stopping:
            os._exit(EXIT_RUNTIME_FAILURE)  # a second signal: stop now (operations.md §10)
        self._stopping = True
        if self._runner is not None:
            self._runner.stop()
        if self._server is not None:
            self._server.should_exit = True

    async def run(self) -> None:
        container = build_container(self._settings, explicit_keys=self._explicit_keys)
        try:
            await self._run(container)
        finally:
            closing = container.shutdown_resources()
            if closing is not None:
                await closing

    async def _run(self, container: Container) -> None:
        components = await resolve_components(container)
        metrics: Metrics = container.metrics()
        # With Redis the bus consumes the `dispatch` group (notifications) in this process.
        shared: RedisSide | None = container.shared_redis()
        if shared is not None:
            await shared.start(_no_presence_pushes)
        try:
            await self._serve(container, components, metrics)
        finally:
            if shared is not None:
                await shared.stop()
            await container.http_client().aclose()

    async def _serve(self, container: Container, components: Components, metrics: Metrics) -> None:
        http_client: httpx.AsyncClient = container.http_client()
        bus = container.event_bus()
        every_job = [
            *build_jobs(components.core, self._settings, metrics, http_client, bus),
            build_webhook_job(components.governance, self._settings, metrics),
        ]
        jobs = [job for job in every_job if job.name in job_names(self._job_names)]
        self._runner = JobRunner(jobs, components.locks, self._owner)
        tasks = [asyncio.create_task(self._runner.run(), name="jobs")]
        port = self._settings.worker.metrics_port
        if port:
            app = WorkerListener(container.health(), metrics)
            config = uvicorn.Config(
                app,
                lifespan="off",
                host=self._settings.server.host,
                port=port,
                log_config=None,
                access_log=False,
            )
            self._server = _ListenerServer(config)
            tasks.append(asyncio.create_task(self._server.serve(), name="http"))
        logger.bind(logger="worker").info("worker running", jobs=self._job_names, metrics_port=port)
        if self._stopping:
            self.request_stop()
        await asyncio.gather(*tasks)
        logger.bind(logger="worker").info("worker stopped")
