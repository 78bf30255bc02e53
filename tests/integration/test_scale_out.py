"""Many API instances, one truth: two `flowra-api` processes and one `flowra-worker`
sharing FerretDB and Redis (issue: Redis adapter and scale-out).

Each process is a real console script on a free loopback port; the test talks HTTP and
WebSocket to them like clients would. Waiting is always on a condition with a deadline.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
START_TIMEOUT = 60.0
WAIT = 10.0
Frame = dict[str, Any]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Stack:
    env: dict[str, str]
    api_ports: tuple[int, int]


def _environment(mongo_uri: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    host_port = redis_url.removeprefix("redis://").split("/")[0]
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLOWRA_")}
    env.update(
        {
            "FLOWRA_STORAGE_BACKEND": "mongo",
            "FLOWRA_MONGODB_URI": mongo_uri,
            "FLOWRA_MONGODB_DATABASE": f"flowra_scale_{uuid.uuid4().hex[:10]}",
            "FLOWRA_MONGODB_TIMEOUT": "5s",
            "FLOWRA_EVENTBUS_TYPE": "redis",
            "FLOWRA_REDIS_ADDR": host_port,
            "FLOWRA_EVENTBUS_REDIS_CHANNEL_PREFIX": f"t{uuid.uuid4().hex[:8]}.",
            "FLOWRA_AUTH_JWT_SECRET": "scale-out-test-secret-0123456789abcdef",
            "FLOWRA_UPLOADS_DIR": str(tmp_path / "uploads"),
            "FLOWRA_SERVER_HOST": "127.0.0.1",
            "FLOWRA_LOG_LEVEL": "info",
            "FLOWRA_WORKER_RELAY_INTERVAL": "200ms",
        }
    )
    return env


@contextmanager
def process(
    args: list[str], env: dict[str, str], ready_marker: str
) -> Iterator[subprocess.Popen[str]]:
    """Start a console script and wait until its log says `ready_marker`."""
    with subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        seen: list[str] = []
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    pytest.fail(f"{args[0]} did not start: {''.join(seen)[-3000:]}")
                try:
                    line = lines.get(timeout=remaining)
                except queue.Empty:
                    continue
                if line is None:
                    pytest.fail(f"{args[0]} exited {proc.wait()}: {''.join(seen)[-3000:]}")
                seen.append(line)
                if ready_marker in line:
                    break
            yield proc
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@pytest.fixture
def stack(mongodb_uri: str, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    env = _environment(mongodb_uri, redis_url, tmp_path)
    migrated = subprocess.run(
        [str(BIN / "flowra-migrator"), "up"], env=env, capture_output=True, text=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    ports = (free_port(), free_port())
    worker_env = {**env, "FLOWRA_WORKER_METRICS_PORT": str(free_port())}
    started = "Application startup complete"
    with (
        process([str(BIN / "flowra-worker")], worker_env, "worker running"),
        process([str(BIN / "flowra-api")], {**env, "FLOWRA_SERVER_PORT": str(ports[0])}, started),
        process([str(BIN / "flowra-api")], {**env, "FLOWRA_SERVER_PORT": str(ports[1])}, started),
    ):
        yield Stack(env, ports)


class Client:
    def __init__(self, http: httpx.AsyncClient, port: int, token: str) -> None:
        self.http = http
        self.base = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/api/v1/ws"
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, self.base + path, headers=self.headers, **kwargs)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None


async def login(http: httpx.AsyncClient, port: int, username: str) -> Client:
    response = await http.post(
        f"http://127.0.0.1:{port}/api/v1/auth/dev/token", json={"username": username}
    )
    assert response.status_code == 200, response.text
    return Client(http, port, response.json()["access_token"])


async def next_frame(ws: ClientConnection, wanted: str) -> Frame:
    """The next frame of type `wanted`, skipping others (presence, typing, …)."""
    async with asyncio.timeout(WAIT):
        while True:
            frame: Frame = json.loads(await ws.recv())
            if frame["type"] == wanted:
                return frame


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=WAIT) as client:
        yield client


async def test_a_client_on_one_instance_sees_what_another_instance_commits(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    port_a, port_b = stack.api_ports
    alice_b = await login(http, port_b, "alice")
    bob_a = await login(http, port_a, "bob")
    workspace = await alice_b.call("POST", "/api/v1/workspaces", json={"name": "Scale"})
    ws_path = f"/api/v1/workspaces/{workspace['id']}"
    invite = await alice_b.call("POST", ws_path + "/invites", json={})
    await bob_a.call("POST", f"/api/v1/invites/{invite['token']}/accept")
    chat = await alice_b.call("POST", ws_path + "/chats", json={"type": "task", "title": "Ship"})
    chat_path = f"{ws_path}/chats/{chat['id']}"
    bob = await bob_a.call("GET", "/api/v1/users/me")
    await alice_b.call("POST", chat_path + "/participants", json={"user_id": bob["id"]})

    async with connect(bob_a.ws_url, additional_headers=bob_a.headers) as ws:
        await next_frame(ws, "connected")
        await ws.send(json.dumps({"type": "subscribe", "chat_id": chat["id"], "id": "s1"}))
        await next_frame(ws, "ack")
        sent = [
            await alice_b.call("POST", chat_path + "/messages", json={"content": f"step {i}"})
            for i in range(5)
        ]
        received = [(await next_frame(ws, "message.created"))["data"] for _ in sent]
        assert [m["message_id"] for m in received] == [m["id"] for m in sent]

        await alice_b.call("POST", chat_path + "/messages", json={"content": "#status Done"})
        status = await next_frame(ws, "chat.status_changed")
        assert status["data"]["new_status"] == "Done"

        # A mention creates exactly one notification, whichever instances consumed it.
        await alice_b.call("POST", chat_path + "/messages", json={"content": "ping @bob"})
        pushed = await next_frame(ws, "notification.created")
        assert pushed["data"]["type"] == "chat.mention"
        listed = await bob_a.call("GET", "/api/v1/notifications?type=chat.mention")
        assert len(listed["items"]) == 1


async def test_presence_crosses_instances(stack: Stack, http: httpx.AsyncClient) -> None:
    port_a, port_b = stack.api_ports
    alice = await login(http, port_b, "alice")
    bob = await login(http, port_a, "bob")
    workspace = await alice.call("POST", "/api/v1/workspaces", json={"name": "Presence"})
    invite = await alice.call("POST", f"/api/v1/workspaces/{workspace['id']}/invites", json={})
    await bob.call("POST", f"/api/v1/invites/{invite['token']}/accept")
    me = await alice.call("GET", "/api/v1/users/me")
    async with connect(bob.ws_url, additional_headers=bob.headers) as bob_ws:
        await next_frame(bob_ws, "connected")
        async with connect(alice.ws_url, additional_headers=alice.headers) as alice_ws:
            await next_frame(alice_ws, "connected")
            online = await next_frame(bob_ws, "presence.changed")
            assert online["user_id"] == me["id"]
            assert online["status"] == "online"
