"""Counting database commands per HTTP operation and per background job (shared by the
`db_commands` benchmark and the integration test that pins the budget).

The app is the real one, on `storage.backend=mongo` with an in-process bus and the embedded
worker off, driven in-process over httpx's ASGI transport. Every operation is run once to
warm what a steady state has warm (verified tokens, actor identities), then once counted.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar
from loguru import logger
from pymongo import monitoring

from flowra_adapters.mongo.client import create_mongo_client
from flowra_adapters.mongo.command_log import CommandLog, CommandTally
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations import Migrator
from flowra_adapters.system import SystemClock
from flowra_entrypoints.container import Container, build_container, resolve_components
from flowra_entrypoints.http.app import create_app
from flowra_entrypoints.settings import load_settings
from flowra_entrypoints.worker.jobs import build_jobs
from flowra_entrypoints.worker.runner import JobRunner

API = "/api/v1"
# The request-path budgets (commands per operation) the issue sets; None: measured, no target.
BUDGETS: dict[str, int | None] = {
    "sign-in (dev token)": None,
    "send plain": 6,
    "send with two tags": None,
    "newest page": 3,
    "thread page": 3,
    "board": 3,
    "chat list": 3,
    "mark read": None,
    "notification list": 3,
}

_LOG = CommandLog()
_registered = False


def command_log() -> CommandLog:
    """The process's one listener; registered before the first client is made."""
    global _registered
    if not _registered:
        monitoring.register(_LOG)
        _registered = True
    return _LOG


@dataclass(frozen=True, slots=True)
class Measured:
    operation: str
    tally: CommandTally


@asynccontextmanager
async def fresh_database(uri: str) -> AsyncIterator[str]:
    """A migrated database name, dropped on exit."""
    name = f"flowra_cmds_{uuid.uuid4().hex[:12]}"
    client = create_mongo_client(uri, timeout=10.0, max_pool_size=2)
    try:
        await Migrator(MongoDatabase(client, name), owner="bench", clock=SystemClock()).up()
        yield name
    finally:
        await client.drop_database(name)
        await client.close()


@asynccontextmanager
async def running_app(
    uri: str, database: str
) -> AsyncIterator[tuple[Container, Litestar, httpx.AsyncClient]]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(
            "log:\n  level: error\n  format: text\n"
            "rate_limit:\n  enabled: false\n"
            f"storage:\n  backend: mongo\n  local_path: {tmp}/files\n"
            f"mongodb:\n  uri: {uri}\n  database: {database}\n"
        )
        loaded = load_settings(str(config), environ={})
        logging.disable(logging.INFO)
        logger.remove()
        container = build_container(loaded.settings, loaded.explicit_keys)
        app = create_app(container)
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(app.litestar.lifespan())
            transport = httpx.ASGITransport(app=app)
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://flowra.test")
            )
            yield container, app.litestar, client


async def _json(response: Awaitable[httpx.Response]) -> Any:
    answered = await response
    assert answered.is_success, answered.text
    return answered.json() if answered.content else None


class Scenario:
    """alice owns a workspace with bob; a discussion with messages and a thread, a task."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.headers: dict[str, dict[str, str]] = {}

    async def login(self, username: str) -> dict[str, str]:
        body = await _json(self.client.post(f"{API}/auth/dev/token", json={"username": username}))
        self.headers[username] = {"Authorization": f"Bearer {body['access_token']}"}
        return self.headers[username]

    async def build(self) -> None:
        alice, bob = await self.login("alice"), await self.login("bob")
        me = await _json(self.client.get(f"{API}/auth/me", headers=bob))
        ws = await _json(self.client.post(f"{API}/workspaces", json={"name": "W"}, headers=alice))
        self.ws = ws["id"]
        await _json(
            self.client.post(
                f"{API}/workspaces/{self.ws}/members",
                json={"user_id": me["id"], "role": "member"},
                headers=alice,
            )
        )
        self.chat = await self._chat({"type": "discussion", "title": "Talk"})
        self.task = await self._chat({"type": "task", "title": "Fix it"})
        await _json(self.client.post(f"{self.chat_url(self.chat)}/join", headers=bob))
        self.root = await self.send(self.chat, "a thread starts here")
        for n in range(3):
            await self.send(self.chat, f"reply {n}", parent_id=self.root)
            await self.send(self.chat, f"message {n}")
        await self.send(self.chat, "hello @bob")

    async def _chat(self, fields: Mapping[str, Any]) -> str:
        body = {**fields, "is_public": True}
        url = f"{API}/workspaces/{self.ws}/chats"
        return str(
            (await _json(self.client.post(url, json=body, headers=self.headers["alice"])))["id"]
        )

    def chat_url(self, chat: str) -> str:
        return f"{API}/workspaces/{self.ws}/chats/{chat}"

    def messages_url(self, chat: str) -> str:
        return f"{self.chat_url(chat)}/messages"

    async def send(self, chat: str, content: str, **extra: Any) -> str:
        url = self.messages_url(chat)
        body = {"content": content, **extra}
        sent = await _json(self.client.post(url, json=body, headers=self.headers["alice"]))
        return str(sent["id"])

    def operations(self) -> dict[str, Callable[[], Awaitable[Any]]]:
        alice, bob = self.headers["alice"], self.headers["bob"]
        get = self.client.get
        statuses = iter(["In Progress", "To Do"] * 10)
        last: dict[str, str] = {}

        async def send_plain() -> None:
            last["message"] = await self.send(self.chat, "just words, nothing else")

        async def send_tags() -> None:
            await self.send(self.task, f"#status {next(statuses)} #priority High")

        async def mark_read() -> None:
            url = f"{API}/workspaces/{self.ws}/chats/{self.chat}/read"
            await _json(self.client.post(url, json={"message_id": last["message"]}, headers=bob))

        return {
            "sign-in (dev token)": lambda: _json(
                self.client.post(f"{API}/auth/dev/token", json={"username": "alice"})
            ),
            "send plain": send_plain,
            "send with two tags": send_tags,
            "newest page": lambda: _json(
                get(self.messages_url(self.chat), params={"limit": 50}, headers=alice)
            ),
            "thread page": lambda: _json(
                get(f"{self.messages_url(self.chat)}/{self.root}/replies", headers=alice)
            ),
            "board": lambda: _json(get(f"{API}/workspaces/{self.ws}/board", headers=alice)),
            "chat list": lambda: _json(get(f"{API}/workspaces/{self.ws}/chats", headers=alice)),
            "mark read": mark_read,
            "notification list": lambda: _json(get(f"{API}/notifications", headers=bob)),
        }


async def command_counts(uri: str) -> list[Measured]:
    """Each operation's commands, counted on its second run."""
    log = command_log()
    async with fresh_database(uri) as database, running_app(uri, database) as (_, _, client):
        scenario = Scenario(client)
        await scenario.build()
        measured: list[Measured] = []
        for name, operation in scenario.operations().items():
            await operation()
            with log.counting() as tally:
                await operation()
            measured.append(Measured(name, tally))
        return measured


async def idle_commands_per_second(uri: str, *, seconds: float) -> dict[str, float]:
    """Commands per second of each worker job (its lease included) on an idle database that
    has seen some traffic, over a window of `seconds`."""
    log = command_log()
    async with (
        fresh_database(uri) as database,
        running_app(uri, database) as (container, app, client),
    ):
        await Scenario(client).build()
        core = app.state.core
        jobs = build_jobs(
            core, container.settings(), container.metrics(), container.http_client(),
            container.event_bus(),
        )  # fmt: skip
        locks = (await resolve_components(container)).locks
        runner = JobRunner(jobs, locks, owner="bench")
        # Half the window lets what the scenario left pending be worked off first.
        task = asyncio.create_task(runner.run())
        await asyncio.sleep(seconds / 2)
        start = len(log.everything.commands)
        await asyncio.sleep(seconds)
        window = log.everything.commands[start:]
        runner.stop()
        await task
    rates: dict[str, float] = {job.name: 0.0 for job in jobs}
    for command in window:
        if command.task.startswith("job:"):
            name = command.task.removeprefix("job:")
            rates[name] = rates.get(name, 0.0) + 1 / seconds
    return rates


def print_counts(
    measured: list[Measured], budgets: Mapping[str, int | None], *, verbose: bool
) -> None:
    print(f"{'operation':<24} {'commands':>8} {'budget':>6}  by collection")
    for item in measured:
        budget = budgets.get(item.operation)
        mark = "" if budget is None or item.tally.total <= budget else "  OVER"
        labels = ", ".join(f"{label}×{n}" for label, n in sorted(item.tally.by_label().items()))
        shown = "-" if budget is None else str(budget)
        print(f"{item.operation:<24} {item.tally.total:>8} {shown:>6}{mark}  {labels}")
        if verbose:
            for command in item.tally.commands:
                body = {k: v for k, v in command.body.items() if k not in {"lsid", "$db"}}
                print(f"      {command.label}: {body}")
