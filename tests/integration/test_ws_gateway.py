"""The WebSocket gateway black-box: a real uvicorn on a free port, data made over HTTP with dev
tokens, and a real WebSocket client (websocket.md)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from flowra_entrypoints.container import build_container
from flowra_entrypoints.http.app import create_app
from flowra_entrypoints.settings import load_settings
from flowra_entrypoints.ws.gateway import WebSocketGateway
from flowra_entrypoints.ws.server_options import websocket_server_options

pytestmark = pytest.mark.integration

WAIT = 5.0
APP_ORIGIN = "https://app.example"
Frame = dict[str, Any]


class GatewayFirstServer(uvicorn.Server):
    """uvicorn that closes WebSockets with 1001 before its own shutdown (which would say 1012),
    and tells when it serves."""

    def __init__(self, config: uvicorn.Config, gateway: WebSocketGateway) -> None:
        super().__init__(config)
        self.gateway = gateway
        self.ready = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await self.gateway.stop()
        await super().shutdown(sockets)


class Api:
    def __init__(self, port: int, http: httpx.AsyncClient) -> None:
        self.port = port
        self.http = http
        self.ws_url = f"ws://127.0.0.1:{port}/api/v1/ws"

    async def token(self, username: str) -> str:
        response = await self.http.post("/api/v1/auth/dev/token", json={"username": username})
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def call(self, token: str, method: str, path: str, body: Frame | None = None) -> Frame:
        response = await self.http.request(
            method, path, json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.is_success, response.text
        return response.json() if response.content else {}

    async def ticket(self, token: str) -> str:
        ticket: str = (await self.call(token, "POST", "/api/v1/ws/ticket"))["ticket"]
        return ticket


@asynccontextmanager
async def running_api(tmp_path: Path, websocket: str = "") -> AsyncIterator[Api]:
    config = tmp_path / "config.yaml"
    config.write_text(
        "log:\n  level: warn\n  format: text\n"
        f"cors:\n  allowed_origins: ['{APP_ORIGIN}']\n"
        f"websocket:\n  presence_grace: 0s\n{websocket}"
    )
    settings = load_settings(str(config), environ={}).settings
    container = build_container(settings)
    app = create_app(container)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port: int = listener.getsockname()[1]
    server = GatewayFirstServer(
        uvicorn.Config(
            app,
            lifespan="on",
            log_config=None,
            access_log=False,
            **websocket_server_options(settings.websocket),
        ),
        container.ws_gateway(),
    )
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with asyncio.timeout(WAIT):
            await server.ready.wait()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            yield Api(port, http)
    finally:
        server.should_exit = True
        await serving


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with running_api(tmp_path) as running:
        yield running


class Client:
    """A WebSocket client that keeps every frame it reads."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[Frame] = []
        self._syncs = 0

    async def send(self, frame: Frame) -> None:
        await self.ws.send(json.dumps(frame))

    async def expect(self, kind: str, **fields: Any) -> Frame:
        """Read until a frame of this type (and these values) arrives."""
        async with asyncio.timeout(WAIT):
            while True:
                frame: Frame = json.loads(await self.ws.recv())
                self.frames.append(frame)
                if frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items()):
                    return frame

    async def sync(self) -> None:
        """Every frame the server queued before now has been read."""
        self._syncs += 1
        ref = f"sync-{self._syncs}"
        await self.send({"type": "ping", "id": ref})
        await self.expect("pong", ref=ref)

    def of_type(self, kind: str) -> list[Frame]:
        return [frame for frame in self.frames if frame["type"] == kind]

    async def subscribe(self, chat_id: str, last_event_id: str | None = None) -> Frame:
        frame: Frame = {"type": "subscribe", "chat_id": chat_id, "id": f"sub-{chat_id}"}
        if last_event_id is not None:
            frame["last_event_id"] = last_event_id
        await self.send(frame)
        return await self.expect("ack", ref=f"sub-{chat_id}")


@asynccontextmanager
async def client(api: Api, token: str) -> AsyncIterator[Client]:
    async with connect(api.ws_url + "?ticket=" + await api.ticket(token)) as ws:
        connected = Client(ws)
        await connected.expect("connected")
        yield connected


async def refusal(url: str, **options: Any) -> tuple[int, Frame]:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, **options):
            pass
    response = refused.value.response
    assert response.headers["content-type"] == "application/problem+json"
    return response.status_code, json.loads(bytes(response.body or b""))


async def team(api: Api) -> tuple[str, str, str]:
    """Tokens of olivia (owner) and mia (member) of a new workspace, and its id."""
    olivia, mia = await api.token("olivia"), await api.token("mia")
    workspace = await api.call(olivia, "POST", "/api/v1/workspaces", {"name": "Acme"})
    await api.call(
        olivia, "POST", f"/api/v1/workspaces/{workspace['id']}/members", {"username": "mia"}
    )
    return olivia, mia, workspace["id"]


class TestHandshake:
    async def test_refusals_are_http_problems(self, api: Api) -> None:
        assert (await refusal(api.ws_url))[1]["code"] == "UNAUTHENTICATED"
        status, problem = await refusal(
            api.ws_url, additional_headers={"Authorization": "Bearer forged"}
        )
        assert (status, problem["code"]) == (401, "UNAUTHENTICATED")
        token = await api.token("alice")
        ticket = await api.ticket(token)
        async with connect(f"{api.ws_url}?ticket={ticket}") as ws:
            assert json.loads(await ws.recv())["type"] == "connected"
        status, problem = await refusal(f"{api.ws_url}?ticket={ticket}")  # used up
        assert (status, problem["code"]) == (401, "UNAUTHENTICATED")
        status, problem = await refusal(
            f"{api.ws_url}?ticket={await api.ticket(token)}", origin=Origin("https://evil.example")
        )
        assert (status, problem["code"]) == (403, "FORBIDDEN")

    async def test_bearer_and_trusted_origin_connect(self, api: Api) -> None:
        token = await api.token("alice")
        headers = {"Authorization": f"Bearer {token}"}
        origin = Origin(APP_ORIGIN)
        async with connect(api.ws_url, additional_headers=headers, origin=origin) as ws:
            connected = json.loads(await ws.recv())
        assert connected["type"] == "connected"
        assert connected["heartbeat_interval"] == 30


class TestDelivery:
    async def test_subscribing_to_a_private_chat_of_others_is_refused(self, api: Api) -> None:
        olivia, mia, workspace_id = await team(api)
        chat = await api.call(
            olivia,
            "POST",
            f"/api/v1/workspaces/{workspace_id}/chats",
            {"title": "Board only", "is_public": False},
        )
        async with client(api, mia) as watcher:
            await watcher.send({"type": "subscribe", "chat_id": chat["id"], "id": "s"})
            error = await watcher.expect("error", ref="s")
        assert (error["code"], error["chat_id"]) == ("CHAT_NOT_FOUND", chat["id"])

    async def test_messages_status_changes_and_notifications_arrive(self, api: Api) -> None:
        olivia, mia, workspace_id = await team(api)
        chats = f"/api/v1/workspaces/{workspace_id}/chats"
        task = await api.call(olivia, "POST", chats, {"title": "Ship it", "type": "task"})
        path = f"{chats}/{task['id']}"
        async with client(api, mia) as watcher:
            await watcher.subscribe(task["id"])
            await api.call(olivia, "POST", f"{path}/messages", {"content": "Kick-off at 9"})
            message = await watcher.expect("message.created")
            assert message["data"]["content"] == "Kick-off at 9"
            assert message["chat_id"] == task["id"]
            await api.call(olivia, "PATCH", path, {"status": "In Progress"})
            changed = await watcher.expect("chat.status_changed")
            assert (changed["data"]["old_status"], changed["data"]["new_status"]) == (
                "To Do",
                "In Progress",
            )
            mia_id = (await api.call(mia, "GET", "/api/v1/users/me"))["id"]
            await api.call(olivia, "POST", f"{path}/participants", {"user_id": mia_id})
            notification = await watcher.expect("notification.created")
            assert notification["data"]["user_id"] == mia_id

    async def test_presence_and_typing(self, api: Api) -> None:
        olivia, mia, workspace_id = await team(api)
        chat = await api.call(
            olivia, "POST", f"/api/v1/workspaces/{workspace_id}/chats", {"title": "Chat"}
        )
        mia_id = (await api.call(mia, "GET", "/api/v1/users/me"))["id"]
        await api.call(olivia, "POST", f"/api/v1/workspaces/{workspace_id}/chats/{chat['id']}/join")
        async with client(api, olivia) as watcher:
            async with client(api, mia) as typer:
                await watcher.expect("presence.changed", user_id=mia_id, status="online")
                await watcher.subscribe(chat["id"])
                await api.call(
                    mia, "POST", f"/api/v1/workspaces/{workspace_id}/chats/{chat['id']}/join"
                )
                await typer.send({"type": "typing", "chat_id": chat["id"]})
                typing = await watcher.expect("typing")
                assert (typing["user_id"], typing["expires_in"]) == (mia_id, 5)
            offline = await watcher.expect("presence.changed", user_id=mia_id, status="offline")
            assert offline["last_seen_at"]

    async def test_resume_replays_what_happened_while_away(self, api: Api) -> None:
        olivia, mia, workspace_id = await team(api)
        chat = await api.call(
            olivia, "POST", f"/api/v1/workspaces/{workspace_id}/chats", {"title": "Log"}
        )
        messages = f"/api/v1/workspaces/{workspace_id}/chats/{chat['id']}/messages"
        async with client(api, mia) as before:
            await before.subscribe(chat["id"])
            await api.call(olivia, "POST", messages, {"content": "one"})
            last_seen = (await before.expect("message.created"))["event_id"]
        for content in ("two", "three"):
            await api.call(olivia, "POST", messages, {"content": content})
        async with client(api, mia) as after:
            ack = await after.subscribe(chat["id"], last_event_id=last_seen)
            assert ack["replayed"] == 2
            await api.call(olivia, "POST", messages, {"content": "four"})
            while len(after.of_type("message.created")) < 3:
                await after.expect("message.created")
            await after.sync()
        contents = [frame["data"]["content"] for frame in after.of_type("message.created")]
        assert contents == ["two", "three", "four"]


class TestRobustness:
    async def test_bad_frames_get_errors_big_ones_close_and_others_carry_on(self, api: Api) -> None:
        alice, bob = await api.token("alice"), await api.token("bob")
        async with client(api, alice) as careless, client(api, bob) as careful:
            await careless.ws.send("{not json")
            assert (await careless.expect("error"))["code"] == "INVALID_FRAME"
            await careless.ws.send(b"\x00\x01")
            assert (await careless.expect("error"))["code"] == "INVALID_FRAME"
            await careless.ws.send("x" * (64 * 1024 + 1))
            assert await close_code(careless.ws) == 1009
            await careful.sync()

    async def test_a_silent_peer_is_closed_with_4001_and_a_live_one_is_not(
        self, tmp_path: Path
    ) -> None:
        timing = "  ping_interval: 200ms\n  pong_timeout: 600ms\n"
        async with running_api(tmp_path, timing) as api:
            token = await api.token("alice")
            async with client(api, token) as answering:  # the client library answers pings
                code = await silent_peer_close_code(api, await api.ticket(token))
                await answering.sync()
        assert code == 4001

    async def test_shutdown_closes_with_1001(self, tmp_path: Path) -> None:
        async with running_api(tmp_path) as api:
            ws = await connect(api.ws_url + "?ticket=" + await api.ticket(await api.token("al")))
        assert await close_code(ws) == 1001


async def close_code(ws: ClientConnection) -> int | None:
    """Read until the server closes; the code it closed with."""
    async with asyncio.timeout(WAIT):
        try:
            while True:
                await ws.recv()
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None


async def silent_peer_close_code(api: Api, ticket: str) -> int:
    """Open a WebSocket by hand, never answer a ping, and return the server's close code."""
    reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /api/v1/ws?ticket={ticket} HTTP/1.1\r\nHost: 127.0.0.1:{api.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    try:
        async with asyncio.timeout(WAIT):
            assert b" 101 " in await reader.readuntil(b"\r\n\r\n")
            while True:
                head = await reader.readexactly(2)
                length = head[1] & 0x7F
                if length == 126:
                    length = int.from_bytes(await reader.readexactly(2), "big")
                elif length == 127:
                    length = int.from_bytes(await reader.readexactly(8), "big")
                payload = await reader.readexactly(length)
                if head[0] & 0x0F == 0x8:  # close
                    return int.from_bytes(payload[:2], "big")
    finally:
        writer.close()
