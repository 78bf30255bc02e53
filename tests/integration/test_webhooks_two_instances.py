"""Two API instances on one FerretDB database, each with its own cache of endpoints: a change
made on instance A applies to A's very next commit; a delete made on A stops deliveries of B's
very next commit too (queued from B's stale cache, parked at send time, never sent); B's own
commits pick up a new endpoint within ENDPOINTS_TTL."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
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
from flowra_entrypoints.settings import load_settings
from flowra_entrypoints.worker.runner import Job
from flowra_entrypoints.worker.webhook_job import build_webhook_job

from .test_webhooks_delivery import ALLOWED, Receiver, serve_receiver

pytestmark = pytest.mark.integration


@dataclass
class Instance:
    api: httpx.AsyncClient
    headers: dict[str, str]
    job: Job
    governance: Governance


@dataclass
class Pair:
    a: Instance
    b: Instance
    clock: FixedClock
    receiver: Receiver
    workspace_id: str
    chat_id: str

    async def say(self, on: Instance, content: str) -> None:
        url = f"/api/v1/workspaces/{self.workspace_id}/chats/{self.chat_id}/messages"
        answer = await on.api.post(url, json={"content": content}, headers=on.headers)
        assert answer.status_code == 201, answer.text

    def contents(self) -> list[str]:
        return [
            json.loads(body)["resource"]["data"]["content"] for _, body in self.receiver.requests
        ]


async def _instance(
    stack: AsyncExitStack, config: Path, clock: FixedClock
) -> tuple[Instance, httpx.AsyncClient]:
    loaded = load_settings(str(config), environ={})
    container = build_container(loaded.settings, loaded.explicit_keys)
    container.clock.override(providers.Object(clock))
    app = create_app(container)
    await stack.enter_async_context(_running(app.litestar))
    transport = httpx.ASGITransport(app=app)
    api = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url=BASE_URL))
    token = (await api.post("/api/v1/auth/dev/token", json={"username": "olga"})).json()
    governance: Governance = app.litestar.state.governance
    job = build_webhook_job(governance, loaded.settings, app.litestar.state.metrics)
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    return Instance(api, headers, job, governance), api


@pytest.fixture
async def pair(tmp_path: Path, mongodb_uri: str) -> AsyncIterator[Pair]:
    name = f"flowra_hooks2_{uuid.uuid4().hex[:12]}"
    client = create_mongo_client(mongodb_uri, timeout=10.0, max_pool_size=2)
    await Migrator(MongoDatabase(client, name), owner="tests", clock=SystemClock()).up()
    async with AsyncExitStack() as stack:

        async def drop() -> None:
            await client.drop_database(name)
            await client.close()

        stack.push_async_callback(drop)
        receiver = Receiver()
        await serve_receiver(stack, receiver)
        config = tmp_path / "config.yaml"
        config.write_text(
            QUIET
            + f"storage:\n  backend: mongo\nmongodb:\n  uri: {mongodb_uri}\n  database: {name}\n"
            + ALLOWED
        )
        clock = FixedClock(current=SystemClock().now())
        a, api = await _instance(stack, config, clock)
        b, _ = await _instance(stack, config, clock)
        workspace: dict[str, Any] = (
            await api.post("/api/v1/workspaces", json={"name": "A"}, headers=a.headers)
        ).json()
        chat = (
            await api.post(
                f"/api/v1/workspaces/{workspace['id']}/chats",
                json={"title": "C"},
                headers=a.headers,
            )
        ).json()
        yield Pair(a, b, clock, receiver, workspace["id"], chat["id"])


async def test_changes_apply_at_once_where_made_and_deletes_everywhere(pair: Pair) -> None:
    await pair.say(pair.a, "A caches no endpoint")
    await pair.say(pair.b, "B caches no endpoint")
    created = await pair.a.api.post(
        f"/api/v1/workspaces/{pair.workspace_id}/webhooks",
        json={"url": pair.receiver.url, "events": ["message.created"]},
        headers=pair.a.headers,
    )
    assert created.status_code == 201, created.text
    endpoint_id = created.json()["id"]
    await pair.say(pair.a, "A's next commit")  # no clock advance: A dropped its cache
    await pair.a.job.run_once()
    assert pair.contents() == ["A's next commit"]

    pair.clock.advance(ENDPOINTS_TTL)  # B's entry expires: B now caches the endpoint
    await pair.say(pair.b, "B sees it")
    await pair.b.job.run_once()
    assert pair.contents() == ["A's next commit", "B sees it"]

    deleted = await pair.a.api.delete(
        f"/api/v1/workspaces/{pair.workspace_id}/webhooks/{endpoint_id}", headers=pair.a.headers
    )
    assert deleted.status_code == 204, deleted.text
    pair.clock.advance(timedelta(seconds=1))  # within B's TTL; orders the log by time
    await pair.say(pair.b, "B's next commit, stale cache")  # queued by B...
    await pair.b.job.run_once()  # ...and parked at send time: nothing goes out
    assert pair.contents() == ["A's next commit", "B sees it"]
    log = await pair.b.governance.ports.webhooks.log(endpoint_id, after=None, limit=10)
    assert [d.status.value for d in log] == ["parked", "delivered", "delivered"]  # kept
