"""Shared pieces of the process-level fault tests: console scripts on free ports, a private
redis-server, HTTP and WebSocket clients. Every wait is on a condition with a deadline."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection

BIN = Path(sys.executable).parent
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 20.0
DELIVERY_DEADLINE = 60.0
Frame = dict[str, Any]
log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_line(
    proc: subprocess.Popen[str], lines: queue.Queue[str | None], marker: str, name: str
) -> None:
    seen: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"{name} did not start: {''.join(seen)[-3000:]}")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            pytest.fail(f"{name} exited {proc.wait()}: {''.join(seen)[-3000:]}")
        seen.append(line)
        if marker in line:
            return


def spawn(args: list[str], env: dict[str, str] | None, marker: str) -> subprocess.Popen[str]:
    """Start a process and wait until its output says `marker` (killed if it never does)."""
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        _wait_for_line(proc, lines, marker, args[0])
    except BaseException:
        stop(proc, kill=True)
        raise
    return proc


def stop(proc: subprocess.Popen[str], *, kill: bool = False) -> None:
    if proc.poll() is None:
        if kill:
            proc.kill()
        else:
            proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)
    if proc.stdout is not None:
        proc.stdout.close()


@contextmanager
def running(args: list[str], env: dict[str, str], marker: str) -> Iterator[subprocess.Popen[str]]:
    proc = spawn(args, env, marker)
    try:
        yield proc
    finally:
        stop(proc)


def migrate(env: dict[str, str]) -> None:
    migrated = subprocess.run(
        [str(BIN / "flowra-migrator"), "up"], env=env, capture_output=True, text=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr


class PrivateRedis:
    """A throw-away `redis-server` on a fixed port that can be killed and started again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        assert self._proc is None or self._proc.poll() is not None
        args = ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        args += ["--bind", "127.0.0.1"]
        self._proc = spawn(args, None, "Ready to accept connections")

    def kill(self) -> None:
        if self._proc is not None:
            stop(self._proc, kill=True)

    def pause(self) -> None:
        """Frozen: connections stay open and nothing answers (a hung server)."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._proc is not None
        self._proc.send_signal(signal.SIGCONT)

    def resume_if_paused(self) -> None:
        """Safe in any state (a test's clean-up)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGCONT)


def environment(
    mongo_uri: str, redis_port: int, tmp_path: Path, *, database_prefix: str
) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLOWRA_")}
    env.update(
        {
            "FLOWRA_STORAGE_BACKEND": "mongo",
            "FLOWRA_MONGODB_URI": mongo_uri,
            "FLOWRA_MONGODB_DATABASE": f"{database_prefix}_{uuid.uuid4().hex[:10]}",
            "FLOWRA_MONGODB_TIMEOUT": "5s",
            "FLOWRA_EVENTBUS_TYPE": "redis",
            "FLOWRA_REDIS_ADDR": f"127.0.0.1:{redis_port}",
            "FLOWRA_EVENTBUS_REDIS_CHANNEL_PREFIX": f"t{uuid.uuid4().hex[:8]}.",
            "FLOWRA_AUTH_JWT_SECRET": "fault-test-secret-0123456789abcdef",
            "FLOWRA_UPLOADS_DIR": str(tmp_path / "uploads"),
            "FLOWRA_SERVER_HOST": "127.0.0.1",
            "FLOWRA_LOG_LEVEL": "info",
            "FLOWRA_WORKER_RELAY_INTERVAL": "200ms",
        }
    )
    return env


@dataclass
class Client:
    http: httpx.AsyncClient
    base: str
    headers: dict[str, str]

    @property
    def ws_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/api/v1/ws"

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, self.base + path, headers=self.headers, **kwargs)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None


async def login(http: httpx.AsyncClient, base: str, username: str) -> Client:
    response = await http.post(f"{base}/api/v1/auth/dev/token", json={"username": username})
    assert response.status_code == 200, response.text
    return Client(http, base, {"Authorization": f"Bearer {response.json()['access_token']}"})


@dataclass
class Inbox:
    """What the WebSocket client received: message ids of `message.created`, last event id."""

    message_ids: set[str] = field(default_factory=set)
    last_event_id: str | None = None
    acks: int = 0
    frames: list[Frame] = field(default_factory=list)
    resync_at: int | None = None
    """Index in `frames` of the first `resync_required`."""
    changed: asyncio.Event = field(default_factory=asyncio.Event)


async def read_frames(ws: ClientConnection, inbox: Inbox) -> None:
    async for raw in ws:
        frame: Frame = json.loads(raw)
        inbox.frames.append(frame)
        if frame["type"] == "ack":
            inbox.acks += 1
        elif frame["type"] == "message.created":
            inbox.message_ids.add(frame["data"]["message_id"])
            inbox.last_event_id = frame["event_id"]
        elif frame["type"] == "resync_required" and inbox.resync_at is None:
            inbox.resync_at = len(inbox.frames) - 1
        inbox.changed.set()


def last_event_before(frames: list[Frame], index: int) -> str | None:
    """The id of the last domain event among `frames[:index]`: where a client resumes from."""
    for frame in reversed(frames[:index]):
        if "event_id" in frame:
            event_id: str = frame["event_id"]
            return event_id
    return None


async def wait_until_ready(http: httpx.AsyncClient, base: str) -> None:
    """/ready is 200 once Redis answers and the live feed is subscribed again."""
    deadline = time.monotonic() + DELIVERY_DEADLINE
    while True:
        try:
            response = await http.get(base + "/ready")
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as error:
            last = repr(error)
        if time.monotonic() > deadline:
            pytest.fail(f"API not ready again after Redis restart: {last}")
        await asyncio.sleep(0.1)


async def wait_for(inbox: Inbox, condition: Any, what: str) -> None:
    deadline = time.monotonic() + DELIVERY_DEADLINE
    while not condition():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"timed out waiting for {what}; got {len(inbox.frames)} frames")
        inbox.changed.clear()
        try:
            async with asyncio.timeout(min(remaining, 1.0)):
                await inbox.changed.wait()
        except TimeoutError:
            pass
