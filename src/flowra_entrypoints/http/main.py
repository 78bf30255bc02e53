"""`flowra-api`: the HTTP + WebSocket server process."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from types import FrameType

import uvicorn
from litestar.datastructures import State
from loguru import logger

from flowra_entrypoints.container import build_container
from flowra_entrypoints.http.app import create_app
from flowra_entrypoints.logging import configure_logging
from flowra_entrypoints.settings import LoadedSettings, Settings, SettingsError, load_settings

EXIT_RUNTIME_FAILURE = 1
EXIT_CONFIG_ERROR = 2
EPHEMERAL_WARNING = (
    "EPHEMERAL MODE: in-memory storage, all data is lost on exit; "
    "local identity provider accepts any username"
)
EPHEMERAL_REMINDER_SECONDS = 600


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="flowra-api", description="Flowra HTTP/WebSocket API")
    parser.add_argument("--config", metavar="PATH", help="YAML configuration file")
    return parser.parse_args(argv)


def load_or_exit(config_path: str | None) -> LoadedSettings:
    """Settings, or exit 2 listing every problem, one per line, on stderr."""
    try:
        return load_settings(config_path)
    except SettingsError as error:
        for problem in error.problems:
            print(f"configuration error: {problem}", file=sys.stderr)  # noqa: T201
        sys.exit(EXIT_CONFIG_ERROR)


class FlowraServer(uvicorn.Server):
    """uvicorn's server with the spec's signal behaviour (operations.md §10): the first
    SIGTERM/SIGINT starts a graceful shutdown (/ready turns 503, in-flight requests get
    `server.shutdown_timeout`) and the process then exits 0; a second one exits 1 at once."""

    def __init__(self, config: uvicorn.Config, app_state: State) -> None:
        super().__init__(config)
        self._app_state = app_state

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            os._exit(EXIT_RUNTIME_FAILURE)
        self._app_state.shutting_down = True
        self.should_exit = True


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
    )
    server = FlowraServer(config, app.litestar.state)
    if settings.storage.backend == "memory":
        logger.bind(logger="app").warning(EPHEMERAL_WARNING)
    asyncio.run(_run(server, remind=settings.storage.backend == "memory"))


async def _run(server: FlowraServer, *, remind: bool) -> None:
    reminder = asyncio.create_task(_remind_ephemeral()) if remind else None
    try:
        await server.serve()
    finally:
        if reminder is not None:
            reminder.cancel()


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    loaded = load_or_exit(args.config)
    settings = loaded.settings
    configure_logging(settings.log.level, settings.log.format)
    log = logger.bind(logger="app")
    for warning in loaded.warnings:
        log.warning(warning)
    log.info(
        "starting flowra-api",
        env=settings.env,
        host=settings.server.host,
        port=settings.server.port,
        storage=settings.storage.backend,
        eventbus=settings.eventbus.type,
        auth=settings.auth.provider,
        config=loaded.source,
    )
    serve(settings, loaded.explicit_keys)
