"""`flowra-api`: the HTTP + WebSocket server process."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
from collections.abc import Sequence
from types import FrameType

import uvicorn
from litestar.datastructures import State
from loguru import logger

from flowra_entrypoints.cli import EXIT_RUNTIME_FAILURE, start_process
from flowra_entrypoints.container import build_container
from flowra_entrypoints.http.app import create_app
from flowra_entrypoints.migrator.startup import require_current_schema
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.shutdown import ShutdownDeadline
from flowra_entrypoints.ws.gateway import WebSocketGateway
from flowra_entrypoints.ws.server_options import websocket_server_options

EPHEMERAL_WARNING = (
    "EPHEMERAL MODE: in-memory storage, all data is lost on exit; "
    "local identity provider accepts any username"
)
EPHEMERAL_REMINDER_SECONDS = 600


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="flowra-api", description="Flowra HTTP/WebSocket API")
    parser.add_argument("--config", metavar="PATH", help="YAML configuration file")
    parser.add_argument(
        "--with-worker",
        action="store_true",
        help="unified mode: also run every worker job in this process (worker.embedded=true)",
    )
    parser.add_argument(
        "--migrate",
        action="store_true",
        help="apply pending migrations (flowra-migrator up) before serving",
    )
    return parser.parse_args(argv)


class FlowraServer(uvicorn.Server):
    """uvicorn's server with the spec's shutdown (operations.md §10): the first SIGTERM/SIGINT
    turns /ready to 503, closes WebSockets with 1001 and lets in-flight requests finish within
    `server.shutdown_timeout`; the process then exits 0, at the latest when the timeout
    has passed (shutdown.py). A second signal exits 1 at once."""

    def __init__(
        self, config: uvicorn.Config, app_state: State, deadline: ShutdownDeadline
    ) -> None:
        super().__init__(config)
        self._app_state = app_state
        self._deadline = deadline

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            os._exit(EXIT_RUNTIME_FAILURE)
        self._deadline.arm()
        self._app_state.shutting_down = True
        self.should_exit = True

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        gateway: WebSocketGateway = self._app_state.ws_gateway
        await gateway.stop()
        await super().shutdown(sockets)


async def _remind_ephemeral() -> None:
    while True:
        await asyncio.sleep(EPHEMERAL_REMINDER_SECONDS)
        logger.bind(logger="app").warning(EPHEMERAL_WARNING)


def serve(settings: Settings, explicit_keys: frozenset[str] = frozenset()) -> None:
    container = build_container(settings, explicit_keys)
    app = create_app(container)
    config = uvicorn.Config(
        app,
        host=settings.server.host,
        port=settings.server.port,
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.server.shutdown_timeout) or 1,
        timeout_keep_alive=max(1, int(settings.server.read_timeout)),
        server_header=False,
        **websocket_server_options(settings.websocket),
    )
    deadline = ShutdownDeadline(settings.server.shutdown_timeout, "app")
    server = FlowraServer(config, app.litestar.state, deadline)
    ephemeral = settings.storage.backend == "memory"
    if ephemeral:
        logger.bind(logger="app").warning(EPHEMERAL_WARNING)
    asyncio.run(_run(server, remind=ephemeral))


async def _run(server: FlowraServer, *, remind: bool) -> None:
    reminder = asyncio.create_task(_remind_ephemeral()) if remind else None
    try:
        await server.serve()
    finally:
        if reminder is not None:
            reminder.cancel()


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    loaded = start_process(args.config, "app")
    settings = loaded.settings
    if args.with_worker:
        settings = settings.with_embedded_worker()
    logger.bind(logger="app").info(
        "starting flowra-api",
        env=settings.env,
        host=settings.server.host,
        port=settings.server.port,
        storage=settings.storage.backend,
        eventbus=settings.eventbus.type,
        auth=settings.auth.provider,
        unified_mode=settings.worker.embedded,
        config=loaded.source,
    )
    require_current_schema(settings, migrate=args.migrate, process="flowra-api")
    serve(settings, loaded.explicit_keys)
