"""SIGTERM ends `flowra-api` and `flowra-worker` within `server.shutdown_timeout` even while
the database hangs (issue 13, goal 6; operations.md §10).

The database is a FerretDB of the test's own, frozen with SIGSTOP: connections stay open and
nothing answers, so every step of a graceful stop waits for the driver's timeout (set far
beyond the shutdown budget here). The processes must exit anyway, with 0.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .contracts.mongo_api import ApiProcess, Client, FerretDB
from .fault_kit import BIN, spawn, stop

pytestmark = pytest.mark.integration

SHUTDOWN_TIMEOUT_S = 2.0
# Far beyond the budget: without the deadline a stop would wait this long per database call.
MONGODB_TIMEOUT = "60s"
# Room for a loaded machine between the deadline and the process being reaped.
EXIT_MARGIN_S = 3.0


@pytest.fixture
def own_ferretdb(tmp_path: Path) -> Iterator[FerretDB]:
    server = FerretDB(tmp_path / "ferretdb")
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _seconds_to_exit(process: subprocess.Popen[str]) -> tuple[float, int]:
    started = time.monotonic()
    process.terminate()
    try:
        code = process.wait(timeout=SHUTDOWN_TIMEOUT_S + 30)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait()
    return time.monotonic() - started, code


def _stuck_request(url: str, headers: dict[str, str]) -> threading.Thread:
    """A request that reaches the frozen database and stays in flight."""

    def post() -> None:
        # The server goes away under it: what this test is about.
        with contextlib.suppress(httpx.HTTPError):
            httpx.post(f"{url}/api/v1/workspaces", json={"name": "Stuck"}, headers=headers)

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread


def test_api_and_worker_exit_within_the_shutdown_timeout_while_the_database_hangs(
    own_ferretdb: FerretDB, tmp_path: Path
) -> None:
    api = ApiProcess(
        tmp_path,
        own_ferretdb.uri,
        "flowra_shutdown",
        FLOWRA_SERVER_SHUTDOWN_TIMEOUT=f"{int(SHUTDOWN_TIMEOUT_S * 1000)}ms",
        FLOWRA_MONGODB_TIMEOUT=MONGODB_TIMEOUT,
        FLOWRA_LOG_LEVEL="info",
    )
    api.start("--migrate")
    worker: subprocess.Popen[str] | None = None
    try:
        with Client(api.url) as client:
            client.login("olga")
            client.ok("POST", "/workspaces", "olga", {"name": "Acme"})
            headers = client.headers["olga"]
        worker_env = {**api.env, "FLOWRA_WORKER_METRICS_PORT": "0"}
        worker = spawn([str(BIN / "flowra-worker")], worker_env, "worker running")

        own_ferretdb.pause()
        _stuck_request(api.url, headers)
        api_seconds, api_code = _seconds_to_exit(api.process)
        worker_seconds, worker_code = _seconds_to_exit(worker)

        assert (api_code, worker_code) == (0, 0)
        assert api_seconds < SHUTDOWN_TIMEOUT_S + EXIT_MARGIN_S, api_seconds
        assert worker_seconds < SHUTDOWN_TIMEOUT_S + EXIT_MARGIN_S, worker_seconds
    finally:
        if worker is not None:
            stop(worker, kill=True)
        api.kill()
