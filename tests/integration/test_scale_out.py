"""Many API instances, one truth: two `flowra-api` processes and one `flowra-worker`
sharing FerretDB and Redis (issue: Redis adapter and scale-out).

Each process is a real console script on a free loopback port; the test talks HTTP and
WebSocket to them like clients would. Waiting is always on a condition with a deadline.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from .fault_kit import BIN, Client, environment, free_port, login, migrate, running

pytestmark = pytest.mark.integration

WAIT = 10.0
Frame = dict[str, Any]


@dataclass(frozen=True)
class Stack:
    env: dict[str, str]
    api_ports: tuple[int, int]


@pytest.fixture
def stack(mongodb_uri: str, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    redis_port = int(redis_url.removeprefix("redis://").split("/")[0].rsplit(":", 1)[1])
    env = environment(mongodb_uri, redis_port, tmp_path, database_prefix="flowra_scale")
    migrate(env)
    ports = (free_port(), free_port())
    worker_env = {**env, "FLOWRA_WORKER_METRICS_PORT": str(free_port())}
    started = "Application startup complete"
    with (
        running([str(BIN / "flowra-worker")], worker_env, "worker running"),
        running([str(BIN / "flowra-api")], {**env, "FLOWRA_SERVER_PORT": str(ports[0])}, started),
        running([str(BIN / "flowra-api")], {**env, "FLOWRA_SERVER_PORT": str(ports[1])}, started),
    ):
        yield Stack(env, ports)


async def _login(http: httpx.AsyncClient, port: int, username: str) -> Client:
    return await login(http, f"http://127.0.0.1:{port}", username)


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
    alice_b = await _login(http, port_b, "alice")
    bob_a = await _login(http, port_a, "bob")
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
    alice = await _login(http, port_b, "alice")
    bob = await _login(http, port_a, "bob")
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
