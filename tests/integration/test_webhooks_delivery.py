"""Webhooks end to end on FerretDB with a real HTTP receiver on 127.0.0.1 (allowed by
`webhooks.allow_private_targets` here): signatures verify, a chat's events arrive in order,
500s and timeouts are retried with the same `Flowra-Event-Id`, a worker killed mid-delivery loses
nothing, redirects are not followed, and without the setting loopback targets are refused."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import signal
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from dependency_injector import providers
from tests.unit.http.conftest import BASE_URL, QUIET, _running

from flowra_adapters.mongo.client import create_mongo_client
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations import Migrator
from flowra_adapters.system import SystemClock
from flowra_core.app.governance.services import Governance
from flowra_core.app.governance.webhooks import ENDPOINTS_TTL
from flowra_core.testing.clock import FixedClock
from flowra_entrypoints.container import build_container
from flowra_entrypoints.http.app import create_app
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.settings import load_settings
from flowra_entrypoints.worker.runner import LEASE_SECONDS, Job
from flowra_entrypoints.worker.webhook_job import build_webhook_job

from .fault_kit import BIN, environment, spawn, stop

pytestmark = pytest.mark.integration

WAIT = 10.0
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def verify(secret: str, header: str, body: bytes, now: float, tolerance: float = 300) -> bool:
    """The README's receiver-side check: fresh timestamp, matching HMAC (constant time)."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    if abs(now - int(parts["t"])) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


@dataclass
class Receiver:
    """An ASGI app answering each request with the next scripted action: a status code,
    "hang" (never answers), "hold" (answers 200 once `release` is set)."""

    script: list[int | str] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append((headers, body))
        self.arrived.set()
        action = self.script.pop(0) if self.script else 200
        if action == "hang":
            await asyncio.sleep(3600)
        if action == "hold":
            await self.release.wait()
            action = 200
        status = int(action)
        extra = [(b"location", b"https://elsewhere.example/")] if status == 302 else []
        await send({"type": "http.response.start", "status": status, "headers": extra})
        await send({"type": "http.response.body", "body": b"x" * 10_000})

    def event_ids(self) -> list[str]:
        return [headers["flowra-event-id"] for headers, _ in self.requests]


@dataclass
class Stack:
    api: httpx.AsyncClient
    governance: Governance
    job: Job
    clock: FixedClock
    metrics: Metrics
    receiver: Receiver
    headers: dict[str, str]
    workspace_id: str
    chat_id: str
    database: str

    async def hook(self, events: list[str]) -> dict[str, Any]:
        response = await self.api.post(
            f"/api/v1/workspaces/{self.workspace_id}/webhooks",
            json={"url": self.receiver.url, "events": events},
            headers=self.headers,
        )
        assert response.status_code == 201, response.text
        self.clock.advance(ENDPOINTS_TTL)  # every instance sees the new endpoint by then
        created: dict[str, Any] = response.json()
        return created

    async def say(self, content: str) -> None:
        url = f"/api/v1/workspaces/{self.workspace_id}/chats/{self.chat_id}/messages"
        response = await self.api.post(url, json={"content": content}, headers=self.headers)
        assert response.status_code == 201, response.text

    async def log(self, endpoint_id: str) -> list[dict[str, Any]]:
        url = f"/api/v1/workspaces/{self.workspace_id}/webhooks/{endpoint_id}/deliveries"
        response = await self.api.get(url, headers=self.headers)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


async def serve_receiver(stack: AsyncExitStack, receiver: Receiver) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    started = asyncio.Event()

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            started.set()

    server = Server(uvicorn.Config(receiver, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve(sockets=[listener]))

    async def stop() -> None:
        server.should_exit = True
        server.force_exit = True
        await task

    stack.push_async_callback(stop)
    async with asyncio.timeout(WAIT):
        await started.wait()
    receiver.url = f"http://127.0.0.1:{port}/hook"


async def build_stack(stack: AsyncExitStack, tmp_path: Path, mongodb_uri: str, extra: str) -> Stack:
    name = f"flowra_hooks_{uuid.uuid4().hex[:12]}"
    client = create_mongo_client(mongodb_uri, timeout=10.0, max_pool_size=2)
    await Migrator(MongoDatabase(client, name), owner="tests", clock=SystemClock()).up()

    async def drop() -> None:
        await client.drop_database(name)
        await client.close()

    stack.push_async_callback(drop)
    receiver = Receiver()
    await serve_receiver(stack, receiver)
    path = tmp_path / f"config-{name}.yaml"
    path.write_text(
        QUIET
        + f"storage:\n  backend: mongo\nmongodb:\n  uri: {mongodb_uri}\n  database: {name}\n"
        + extra
    )
    loaded = load_settings(str(path), environ={})
    container = build_container(loaded.settings, loaded.explicit_keys)
    clock = FixedClock(current=SystemClock().now())
    container.clock.override(providers.Object(clock))
    app = create_app(container)
    await stack.enter_async_context(_running(app.litestar))
    transport = httpx.ASGITransport(app=app)
    api = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url=BASE_URL))
    token = (await api.post("/api/v1/auth/dev/token", json={"username": "olga"})).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    workspace = (await api.post("/api/v1/workspaces", json={"name": "A"}, headers=headers)).json()
    chat = (
        await api.post(
            f"/api/v1/workspaces/{workspace['id']}/chats", json={"title": "C"}, headers=headers
        )
    ).json()
    governance: Governance = app.litestar.state.governance
    metrics: Metrics = app.litestar.state.metrics
    job = build_webhook_job(governance, loaded.settings, metrics)
    return Stack(
        api,
        governance,
        job,
        clock,
        metrics,
        receiver,
        headers,
        workspace["id"],
        chat["id"],
        database=name,
    )


ALLOWED = "webhooks:\n  allow_private_targets: true\n  timeout: 500ms\n"


@pytest.fixture
async def hooks(tmp_path: Path, mongodb_uri: str) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as stack:
        yield await build_stack(stack, tmp_path, mongodb_uri, ALLOWED)


async def test_signed_deliveries_arrive_in_chat_order(hooks: Stack) -> None:
    endpoint = await hooks.hook(["message.created"])
    for text in ("one", "two", "three"):
        await hooks.say(text)
    await hooks.job.run_once()
    bodies = [json.loads(body) for _, body in hooks.receiver.requests]
    assert [b["resource"]["data"]["content"] for b in bodies] == ["one", "two", "three"]
    now = hooks.clock.now().timestamp()
    for (headers, body), parsed in zip(hooks.receiver.requests, bodies, strict=True):
        assert verify(endpoint["secret"], headers["flowra-signature"], body, now)
        assert not verify("another secret", headers["flowra-signature"], body, now)
        assert headers["flowra-event-id"] == parsed["event_id"]
        assert parsed["type"] == "message.created"
        assert parsed["workspace_id"] == hooks.workspace_id
    log = await hooks.log(endpoint["id"])
    assert {(d["status"], d["response_code"]) for d in log} == {("delivered", 200)}
    assert all(len(d["response_body"]) == 4096 for d in log)  # capped
    exposition = hooks.metrics.exposition()[0].decode()
    assert 'flowra_webhook_deliveries_total{outcome="delivered"} 3.0' in exposition
    assert "flowra_webhook_delivery_seconds_count 3.0" in exposition


async def test_500s_and_timeouts_are_retried_with_the_same_event_id(hooks: Stack) -> None:
    endpoint = await hooks.hook(["message.created"])
    hooks.receiver.script = [500, "hang"]
    await hooks.say("one")
    await hooks.job.run_once()
    hooks.clock.advance(timedelta(seconds=15))
    await hooks.job.run_once()  # times out after webhooks.timeout
    [pending] = await hooks.log(endpoint["id"])
    assert (pending["status"], pending["attempts"], pending["error"]) == ("pending", 2, "timed out")
    hooks.clock.advance(timedelta(seconds=30))
    await hooks.job.run_once()
    ids = hooks.receiver.event_ids()
    assert len(ids) == 3
    assert len(set(ids)) == 1
    [delivered] = await hooks.log(endpoint["id"])
    assert delivered["status"] == "delivered"


async def test_a_worker_killed_mid_delivery_loses_nothing(hooks: Stack) -> None:
    endpoint = await hooks.hook(["message.created"])
    hooks.receiver.script = ["hold"]
    await hooks.say("one")

    async def deliver() -> None:
        await hooks.job.run_once()

    running = asyncio.create_task(deliver())
    async with asyncio.timeout(WAIT):
        await hooks.receiver.arrived.wait()
    running.cancel()  # the worker dies while the receiver holds the request
    with pytest.raises(asyncio.CancelledError):
        await running
    [pending] = await hooks.log(endpoint["id"])
    assert pending["status"] == "pending"
    hooks.receiver.release.set()
    await hooks.job.run_once()  # the next worker sends it again
    [delivered] = await hooks.log(endpoint["id"])
    assert delivered["status"] == "delivered"
    ids = hooks.receiver.event_ids()
    assert len(ids) == 2
    assert len(set(ids)) == 1


async def test_redirects_are_not_followed(hooks: Stack) -> None:
    endpoint = await hooks.hook(["message.created"])
    hooks.receiver.script = [302]
    await hooks.say("one")
    await hooks.job.run_once()
    [failed] = await hooks.log(endpoint["id"])
    assert (failed["status"], failed["response_code"]) == ("pending", 302)
    assert len(hooks.receiver.requests) == 1


async def test_loopback_targets_are_refused_without_the_setting(
    tmp_path: Path, mongodb_uri: str
) -> None:
    async with AsyncExitStack() as stack:
        guarded = await build_stack(stack, tmp_path, mongodb_uri, "")
        response = await guarded.api.post(
            f"/api/v1/workspaces/{guarded.workspace_id}/webhooks",
            json={"url": guarded.receiver.url, "events": ["message.created"]},
            headers=guarded.headers,
        )
        assert response.status_code == 422
        problem = response.json()
        assert problem["errors"][0]["field"] == "url"
        assert "internal address" in problem["errors"][0]["message"]


async def test_a_killed_worker_process_loses_no_delivery(
    hooks: Stack, mongodb_uri: str, redis_url: str, tmp_path: Path
) -> None:
    """`flowra-worker --jobs webhooks` is SIGKILLed while the receiver holds its request; the
    next worker (once the dead one's lease expires) delivers the same event."""
    endpoint = await hooks.hook(["message.created"])
    hooks.receiver.script = ["hold"]
    await hooks.say("one")
    env = environment(
        mongodb_uri,
        int(redis_url.rsplit(":", 1)[1].split("/")[0]),
        tmp_path,
        database_prefix="unused",
    )
    env.update(
        {
            "FLOWRA_MONGODB_DATABASE": hooks.database,
            "FLOWRA_WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
            "FLOWRA_WEBHOOKS_DELIVERY_INTERVAL": "200ms",
            "FLOWRA_WORKER_METRICS_PORT": "0",
        }
    )
    worker = [str(BIN / "flowra-worker"), "--jobs", "webhooks"]
    crashed = await asyncio.to_thread(spawn, worker, env, "worker running")
    try:
        async with asyncio.timeout(WAIT):
            await hooks.receiver.arrived.wait()
    finally:
        crashed.send_signal(signal.SIGKILL)
        await asyncio.to_thread(stop, crashed, kill=True)
    assert crashed.returncode == -signal.SIGKILL
    [pending] = await hooks.log(endpoint["id"])
    assert pending["status"] == "pending"

    hooks.receiver.release.set()
    restarted = await asyncio.to_thread(spawn, worker, env, "worker running")
    try:
        deadline = time.monotonic() + LEASE_SECONDS + WAIT * 3  # the dead worker's lease
        while (await hooks.log(endpoint["id"]))[0]["status"] != "delivered":
            if time.monotonic() > deadline:
                pytest.fail("the restarted worker did not deliver")
            await asyncio.sleep(0.2)
    finally:
        await asyncio.to_thread(stop, restarted)
    ids = hooks.receiver.event_ids()
    assert len(ids) == 2
    assert len(set(ids)) == 1
