"""API tokens on FerretDB + Redis with two API instances sharing both: a token made on one
works on the other, a revocation on one is refused by the other on its next request, and the
per-token rate limit is one budget across instances (Redis)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from pymongo import AsyncMongoClient
from tests.unit.http.conftest import BASE_URL, QUIET, _running

from flowra_adapters.mongo.client import create_mongo_client
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations import Migrator
from flowra_adapters.system import SystemClock
from flowra_entrypoints.container import build_container
from flowra_entrypoints.http.app import create_app
from flowra_entrypoints.settings import load_settings

pytestmark = pytest.mark.integration

Instances = tuple[httpx.AsyncClient, httpx.AsyncClient, str]  # two apps, their database


@pytest.fixture
async def instances(tmp_path: Path, mongodb_uri: str, redis_url: str) -> AsyncIterator[Instances]:
    name = f"flowra_tokens_{uuid.uuid4().hex[:12]}"
    client = create_mongo_client(mongodb_uri, timeout=10.0, max_pool_size=2)
    await Migrator(MongoDatabase(client, name), owner="tests", clock=SystemClock()).up()
    address = redis_url.removeprefix("redis://").split("/")[0]
    config = (
        QUIET
        + f"storage:\n  backend: mongo\nmongodb:\n  uri: {mongodb_uri}\n  database: {name}\n"
        + f"eventbus:\n  type: redis\n  redis_channel_prefix: t{uuid.uuid4().hex[:8]}.\n"
        + f"redis:\n  addr: {address}\n"
        + "auth:\n  jwt_secret: shared-secret-of-at-least-32-bytes-long!!\n"
        + "rate_limit:\n  enabled: true\n  user_limit: 4\n  window: 60s\n"
    )
    try:
        async with AsyncExitStack() as stack:
            clients = []
            for index in range(2):
                path = tmp_path / f"config-{index}.yaml"
                path.write_text(config)
                loaded = load_settings(str(path), environ={})
                app = create_app(build_container(loaded.settings, loaded.explicit_keys))
                await stack.enter_async_context(_running(app.litestar))
                transport = httpx.ASGITransport(app=app)
                clients.append(
                    await stack.enter_async_context(
                        httpx.AsyncClient(transport=transport, base_url=BASE_URL)
                    )
                )
            yield clients[0], clients[1], name
    finally:
        await client.drop_database(name)
        await client.close()


async def test_revocation_on_one_instance_is_seen_by_the_other_on_its_next_request(
    instances: Instances, mongodb_uri: str
) -> None:
    first, second, database = instances
    login = (
        await first.post("/api/v1/auth/dev/token", json={"username": f"olga{uuid.uuid4().hex[:8]}"})
    ).json()
    olga = {"Authorization": f"Bearer {login['access_token']}"}
    created = await first.post(
        "/api/v1/tokens", json={"name": "ci", "scopes": ["read"]}, headers=olga
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    token = {"Authorization": f"Bearer {secret}"}
    assert (await second.get("/api/v1/users/me", headers=token)).status_code == 200

    revoked = await first.delete(f"/api/v1/tokens/{created.json()['token']['id']}", headers=olga)
    assert revoked.status_code == 204
    refused = await second.get("/api/v1/users/me", headers=token)
    assert refused.status_code == 401
    assert refused.json()["code"] == "UNAUTHENTICATED"

    # Only a salted hash is stored: the secret appears nowhere in the database.
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongodb_uri)
    try:
        stored = await mongo[database]["api_tokens"].find_one(
            {"_id": created.json()["token"]["id"]}
        )
    finally:
        await mongo.close()
    assert stored is not None
    assert secret.split("_", 3)[-1] not in str(stored)


async def test_the_per_token_budget_is_shared_across_instances(instances: Instances) -> None:
    first, second, _ = instances
    login = (
        await first.post("/api/v1/auth/dev/token", json={"username": f"olga{uuid.uuid4().hex[:8]}"})
    ).json()
    olga = {"Authorization": f"Bearer {login['access_token']}"}
    created = await first.post(
        "/api/v1/tokens", json={"name": "ci", "scopes": ["read"]}, headers=olga
    )
    token = {"Authorization": f"Bearer {created.json()['secret']}"}
    statuses = []
    for index in range(5):
        client = first if index % 2 == 0 else second
        statuses.append((await client.get("/api/v1/users/me", headers=token)).status_code)
    assert statuses == [200, 200, 200, 200, 429]
