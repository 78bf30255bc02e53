"""A real `flowra-api` for the browser tests: a console script on a free port, started and
stopped by the tests; every wait is on a condition with a deadline."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
START_TIMEOUT = 60.0
SECRET = "e2e-test-secret-0123456789abcdef-web"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    base_url: str
    process: subprocess.Popen[str]


def base_env(port: int, uploads: Path) -> dict[str, str]:
    """The embedded profile on `port`: memory storage, in-process bus, local sign-in."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLOWRA_")}
    env.update(
        {
            "FLOWRA_SERVER_HOST": "127.0.0.1",
            "FLOWRA_SERVER_PORT": str(port),
            "FLOWRA_SERVER_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "FLOWRA_AUTH_JWT_SECRET": SECRET,
            "FLOWRA_UPLOADS_DIR": str(uploads),
            "FLOWRA_LOG_LEVEL": "warn",
        }
    )
    return env


def mongo_redis_env(port: int, uploads: Path, database: str, prefix: str) -> dict[str, str]:
    """One instance of a scaled-out deployment: FerretDB storage, Redis bus, shared names."""
    env = base_env(port, uploads)
    env.update(
        {
            "FLOWRA_STORAGE_BACKEND": "mongo",
            "FLOWRA_MONGODB_URI": os.environ.get(
                "FLOWRA_TEST_MONGODB_URI", "mongodb://127.0.0.1:27017"
            ),
            "FLOWRA_MONGODB_DATABASE": database,
            "FLOWRA_EVENTBUS_TYPE": "redis",
            "FLOWRA_REDIS_ADDR": os.environ.get("FLOWRA_TEST_REDIS_ADDR", "127.0.0.1:6379"),
            "FLOWRA_EVENTBUS_REDIS_CHANNEL_PREFIX": prefix,
            "FLOWRA_WORKER_EMBEDDED": "true",
            "FLOWRA_WORKER_RELAY_INTERVAL": "200ms",
        }
    )
    return env


def unique(name: str) -> str:
    return f"{name}{uuid.uuid4().hex[:6]}"


def _pump(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.put(line)
    lines.put(None)


def _wait_serving(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    seen: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        if line is None:
            pytest.fail(f"flowra-api exited {proc.wait()}: {''.join(seen)[-3000:]}")
        seen.append(line)
        if "Application startup complete" in line:
            return
    proc.kill()
    pytest.fail(f"flowra-api did not start: {''.join(seen)[-3000:]}")


def migrate(env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(BIN / "flowra-migrator"), "up"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


@contextmanager
def running_api(env: dict[str, str]) -> Iterator[Server]:
    env = {**env, "FLOWRA_LOG_LEVEL": "info"}  # the start-up line is what we wait for
    proc = subprocess.Popen(
        [str(BIN / "flowra-api")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(proc, lines), daemon=True).start()
    try:
        _wait_serving(proc, lines)
        yield Server(env["FLOWRA_SERVER_PUBLIC_URL"], proc)
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
