"""Fixtures for black-box tests of the HTTP API on the embedded profile (in-memory storage,
local identity provider, uploads in a temporary directory).

- `make_app(config)` builds an app (YAML `config` merged over quiet defaults) with the lifespan
  running and returns an httpx client for it; `client` is the one built from `app_config`
  (empty unless a test module overrides that fixture).
- `clock` is the app's clock (a FixedClock starting now): `clock.advance(...)` orders events.
  Keep advances short: tokens are issued on this clock but expire on the real one.
- `login(username)` → request headers with a dev bearer token; `login_sysadmin` likewise for
  a system administrator. `user_ids[username]` holds the id of every user logged in so far.
- `workspace_id`: "Acme", owned by `olga`, with `adam` (admin), `max` and `mia` (members).
  `zed` is logged in but belongs to no workspace; `other_workspace_id` is "Globex" of `otto`.
- `make_chat(creator, ...)` creates a chat through `POST W/chats` and returns its id.
- `chat_id` / `private_chat_id`: olga's public / private discussion with max; `task_id`: max's
  public task "Fix login" with mia.

Shared helpers that are not fixtures (URLs, answer checks) are in http_kit.py.

With `FLOWRA_TEST_STORAGE=mongo` every app is built on `storage.backend: mongo` instead, each on
a fresh, migrated database of the server at `FLOWRA_TEST_MONGODB_URI` (dropped afterwards):
`nox -s integration_mongo` runs this whole suite that way.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from litestar import Litestar
from tests.unit.app_pool import AppBuilder

from flowra_adapters.mongo.client import create_mongo_client
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations import Migrator
from flowra_adapters.system import SystemClock
from flowra_core.app.core import FlowraCore
from flowra_core.testing.clock import FixedClock
from flowra_entrypoints.container import build_container
from flowra_entrypoints.settings import load_settings

from .contract_check import DocumentCheckingTransport

Headers = dict[str, str]
BASE_URL = "http://flowra.test"
QUIET = "log:\n  level: error\n  format: text\n"
STORAGE = os.environ.get("FLOWRA_TEST_STORAGE", "memory")
MONGODB_URI = os.environ.get("FLOWRA_TEST_MONGODB_URI", "mongodb://127.0.0.1:27017")


@asynccontextmanager
async def _fresh_mongo_storage() -> AsyncIterator[str]:
    """The YAML of a new database with every migration applied; dropped on exit."""
    name = f"flowra_http_{uuid.uuid4().hex[:12]}"
    client = create_mongo_client(MONGODB_URI, timeout=10.0, max_pool_size=2)
    try:
        await Migrator(MongoDatabase(client, name), owner="tests", clock=SystemClock()).up()
        yield f"storage:\n  backend: mongo\nmongodb:\n  uri: {MONGODB_URI}\n  database: {name}\n"
    finally:
        await client.drop_database(name)
        await client.close()


@asynccontextmanager
async def _running(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan (startup, then shutdown on exit), run in a task of its own: it
    holds an anyio task group, which must be left by the task that entered it."""
    started, stopping = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stopping.wait()

    task = asyncio.create_task(lifespan())
    ready = asyncio.create_task(started.wait())
    await asyncio.wait([task, ready], return_when=asyncio.FIRST_COMPLETED)
    if not started.is_set():
        ready.cancel()
        await task  # startup failed: raise its error
    try:
        yield
    finally:
        stopping.set()
        await task


class _Apps:
    """Builds apps sharing one clock; every app is shut down when the test ends."""

    def __init__(
        self, stack: AsyncExitStack, tmp_path: Path, clock: FixedClock, build_app: AppBuilder
    ) -> None:
        self._stack = stack
        self._build_app = build_app
        self._tmp_path = tmp_path
        self._clock = clock
        self.cores: list[FlowraCore] = []
        self.checked: list[DocumentCheckingTransport] = []

    async def __call__(self, config: str = "") -> httpx.AsyncClient:
        path = self._tmp_path / f"config-{len(self.cores)}.yaml"
        storage = ""
        if STORAGE == "mongo":
            storage = await self._stack.enter_async_context(_fresh_mongo_storage())
        path.write_text(QUIET + storage + config)
        loaded = load_settings(str(path), environ={})
        container = build_container(loaded.settings, loaded.explicit_keys)
        container.clock.override(providers.Object(self._clock))
        app = self._build_app(container)
        await self._stack.enter_async_context(_running(app.litestar))
        self.cores.append(app.litestar.state.core)
        transport = DocumentCheckingTransport(httpx.ASGITransport(app=app), app.litestar)
        self.checked.append(transport)
        return await self._stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url=BASE_URL)
        )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(current=SystemClock().now())


@pytest.fixture
async def apps(tmp_path: Path, clock: FixedClock, build_app: AppBuilder) -> AsyncIterator[_Apps]:
    async with AsyncExitStack() as stack:
        built = _Apps(stack, tmp_path, clock, build_app)
        yield built
    # Every answer must be one the served OpenAPI document allows (contract_check.py).
    assert [v for transport in built.checked for v in transport.violations] == []


@pytest.fixture
def make_app(apps: _Apps) -> Callable[[str], Awaitable[httpx.AsyncClient]]:
    return apps


@pytest.fixture
def app_config() -> str:
    """YAML for the `client` app; override this fixture in a test module to change it."""
    return ""


@pytest.fixture
async def client(apps: _Apps, app_config: str) -> httpx.AsyncClient:
    return await apps(app_config)


@pytest.fixture
def core(client: httpx.AsyncClient, apps: _Apps) -> FlowraCore:
    """The core behind `client`, for the rare check the API cannot make."""
    return apps.cores[0]


@pytest.fixture
def user_ids() -> dict[str, str]:
    return {}


async def _dev_login(
    client: httpx.AsyncClient, user_ids: dict[str, str], username: str, **extra: Any
) -> Headers:
    response = await client.post("/api/v1/auth/dev/token", json={"username": username, **extra})
    assert response.status_code == 200, response.text
    body = response.json()
    user_ids[username] = body["user"]["id"]
    return {"Authorization": f"Bearer {body['access_token']}"}


@pytest.fixture
def login(
    client: httpx.AsyncClient, user_ids: dict[str, str]
) -> Callable[[str], Awaitable[Headers]]:
    tokens: dict[str, Headers] = {}

    async def log_in(username: str) -> Headers:
        if username not in tokens:
            tokens[username] = await _dev_login(client, user_ids, username)
        return tokens[username]

    return log_in


@pytest.fixture
def login_sysadmin(
    client: httpx.AsyncClient, user_ids: dict[str, str]
) -> Callable[[str], Awaitable[Headers]]:
    async def log_in(username: str) -> Headers:
        return await _dev_login(client, user_ids, username, is_system_admin=True)

    return log_in


async def _workspace(
    client: httpx.AsyncClient,
    login: Callable[[str], Awaitable[Headers]],
    name: str,
    owner: str,
    members: Sequence[tuple[str, str]],
) -> str:
    owner_headers = await login(owner)
    created = await client.post("/api/v1/workspaces", json={"name": name}, headers=owner_headers)
    assert created.status_code == 201, created.text
    workspace_id: str = created.json()["id"]
    for username, role in members:
        await login(username)
        added = await client.post(
            f"/api/v1/workspaces/{workspace_id}/members",
            json={"username": username, "role": role},
            headers=owner_headers,
        )
        assert added.status_code == 201, added.text
    return workspace_id


@pytest.fixture
async def workspace_id(
    client: httpx.AsyncClient, login: Callable[[str], Awaitable[Headers]]
) -> str:
    await login("zed")
    members = [("adam", "admin"), ("max", "member"), ("mia", "member")]
    return await _workspace(client, login, "Acme", "olga", members)


@pytest.fixture
async def other_workspace_id(
    client: httpx.AsyncClient, login: Callable[[str], Awaitable[Headers]]
) -> str:
    return await _workspace(client, login, "Globex", "otto", [])


@pytest.fixture
def make_chat(
    client: httpx.AsyncClient,
    login: Callable[[str], Awaitable[Headers]],
    user_ids: dict[str, str],
    workspace_id: str,
) -> Callable[..., Awaitable[str]]:
    async def create(
        creator: str,
        *,
        participants: Sequence[str] = (),
        in_workspace: str | None = None,
        **fields: Any,
    ) -> str:
        """`fields` are those of `POST W/chats`; `participants` are usernames."""
        body = {"title": "Launch", **fields}
        body["participant_ids"] = [user_ids[name] for name in participants]
        response = await client.post(
            f"/api/v1/workspaces/{in_workspace or workspace_id}/chats",
            json=body,
            headers=await login(creator),
        )
        assert response.status_code == 201, response.text
        chat_id: str = response.json()["id"]
        return chat_id

    return create


@pytest.fixture
async def chat_id(make_chat: Callable[..., Awaitable[str]]) -> str:
    """olga's public discussion "Launch" with max."""
    return await make_chat("olga", participants=["max"])


@pytest.fixture
async def private_chat_id(make_chat: Callable[..., Awaitable[str]]) -> str:
    """olga's private discussion "Secret" with max."""
    return await make_chat("olga", participants=["max"], is_public=False, title="Secret")


@pytest.fixture
async def task_id(make_chat: Callable[..., Awaitable[str]]) -> str:
    """max's public task "Fix login" with mia."""
    return await make_chat("max", participants=["mia"], type="task", title="Fix login")


if STORAGE == "mongo":
    # On MongoDB (`nox -s integration_mongo`) every adapter query of the run is audited
    # against the migrations' indexes and the shard keys: tests/integration/index_audit.py.
    from ...integration.index_audit import (  # noqa: TID252 - tests/ is not a package
        pytest_configure,
        pytest_sessionfinish,
        pytest_terminal_summary,
    )

    __all__ = ["pytest_configure", "pytest_sessionfinish", "pytest_terminal_summary"]
