"""`flowra-api` processes for a benchmark, sharing FerretDB and Redis (the scale-out profile).

`api_cluster(count)` migrates a fresh database (`flowra-migrator up`), starts that many
`flowra-api` console scripts on free loopback ports with `storage.backend=mongo`,
`eventbus.type=redis` and a private bus channel prefix, waits until each answers `/ready`, and
on the way out, whatever happened, stops them and drops the database and the bus keys. The APIs
run in their own sessions, so a Ctrl-C reaches only the benchmark, which then stops them in
order. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import redis
from benchmarks.ws_fanout_clients import free_port
from pymongo import MongoClient

BIN = Path(sys.executable).parent
MONGODB_URI = "mongodb://127.0.0.1:27017"
REDIS_ADDR = "127.0.0.1:6379"
READY_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class ApiInstance:
    name: str
    port: int
    pid: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws"


def cluster_environment(workdir: Path, database: str, prefix: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLOWRA_")}
    env.update(
        {
            "FLOWRA_STORAGE_BACKEND": "mongo",
            "FLOWRA_MONGODB_URI": MONGODB_URI,
            "FLOWRA_MONGODB_DATABASE": database,
            "FLOWRA_MONGODB_TIMEOUT": "5s",
            "FLOWRA_EVENTBUS_TYPE": "redis",
            "FLOWRA_REDIS_ADDR": REDIS_ADDR,
            "FLOWRA_EVENTBUS_REDIS_CHANNEL_PREFIX": prefix,
            "FLOWRA_AUTH_PROVIDER": "local",
            "FLOWRA_AUTH_JWT_SECRET": "benchmark-secret-0123456789abcdef-0123",
            "FLOWRA_UPLOADS_DIR": str(workdir / "uploads"),
            "FLOWRA_SERVER_HOST": "127.0.0.1",
            "FLOWRA_LOG_LEVEL": "error",
            "FLOWRA_RATE_LIMIT_ENABLED": "false",
            # every benchmark connection belongs to one reader
            "FLOWRA_WEBSOCKET_MAX_CONNECTIONS_PER_USER": "100000",
        }
    )
    return env


def migrate(env: dict[str, str]) -> None:
    done = subprocess.run(  # noqa: S603 - our own console script
        [str(BIN / "flowra-migrator"), "up"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"flowra-migrator up exited {done.returncode}: {done.stdout}{done.stderr}"
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def remove_data(database: str, prefix: str) -> None:
    """Drop the run's database and delete its bus stream and dead letters."""
    mongo: MongoClient[dict[str, Any]]
    with MongoClient(MONGODB_URI, serverSelectionTimeoutMS=5000) as mongo:
        mongo.drop_database(database)
    host, port = REDIS_ADDR.rsplit(":", 1)
    with redis.Redis(host=host, port=int(port), socket_timeout=5) as client:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)


def tail_of(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


async def wait_until_ready(
    http: httpx.AsyncClient, instance: ApiInstance, process: subprocess.Popen[bytes], log: Path
) -> None:
    """Bounded poll of `/ready` (the database, Redis and the bus feed answer)."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{instance.name} exited {process.returncode}: {tail_of(log)}")
        try:
            if (await http.get(f"{instance.base_url}/ready")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{instance.name} not ready within {READY_TIMEOUT_SECONDS:.0f} s")
        await asyncio.sleep(0.2)


def start_api(env: dict[str, str], port: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own console script
        [str(BIN / "flowra-api")],
        env={**env, "FLOWRA_SERVER_PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@asynccontextmanager
async def api_cluster(names: tuple[str, ...]) -> AsyncIterator[tuple[ApiInstance, ...]]:
    """One ready `flowra-api` per name on a fresh database; everything removed on the way out."""
    database = f"flowra_bench_{uuid.uuid4().hex[:10]}"
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    async with AsyncExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = cluster_environment(workdir, database, prefix)
        stack.callback(remove_data, database, prefix)  # runs last: after the APIs stopped
        migrate(env)
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
        instances: list[ApiInstance] = []
        for name in names:
            log_path = workdir / f"{name}.log"
            log = stack.enter_context(log_path.open("wb"))
            port = free_port()
            process = start_api(env, port, log)
            stack.callback(stop, process)
            instance = ApiInstance(name, port, process.pid)
            await wait_until_ready(http, instance, process, log_path)
            instances.append(instance)
        yield tuple(instances)
