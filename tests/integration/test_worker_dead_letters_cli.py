"""`flowra-worker dead-letters [--replay]` run as the console script against FerretDB and Redis.

What it parks is arranged the way production gets there, with the real adapters in this
process: a message sent while Redis was unreachable, whose `live` reaction then failed at every
sweep until it was parked. The command lists it and exits 1; `--replay` runs it in its own
process (Redis is back), the event reaches the bus, and it exits 0. With Redis unreachable it
exits 1 with one line on stderr, not a traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from flowra_adapters.files.local_disk import LocalDiskBlobStorage
from flowra_adapters.mongo.client import MongoClient, create_mongo_client
from flowra_adapters.mongo.core_ports import mongo_core_ports
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations import Migrator
from flowra_adapters.redis import BusKeys, RedisEventBus, create_redis_client
from flowra_adapters.redis.bus_config import ENVELOPE_FIELD
from flowra_adapters.redis.codec import decode_envelope
from flowra_adapters.system import RandomTokens, SystemClock, Uuid4Ids
from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.app.delivery.reactions import PARK_AFTER_ATTEMPTS, backoff
from flowra_core.domain.chat import NewChat
from flowra_core.domain.user import UserSource
from flowra_core.memory.presence import InMemoryPresence
from flowra_core.ports.event_bus import EventBus
from flowra_core.ports.identity import IdentityClaims
from flowra_core.testing.clock import FixedClock

from .contracts.redis_backends import (
    FAST_BUS,
    delete_keys,
    fresh_prefix,
    redis_addr,
    redis_connection,
)
from .fault_kit import BIN, environment, free_port

pytestmark = pytest.mark.integration

WORKER = str(BIN / "flowra-worker")
CLI_TIMEOUT = 30.0
MONGO_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class CliOutcome:
    returncode: int
    stdout: str
    stderr: str


async def dead_letters_cli(env: dict[str, str], *args: str) -> CliOutcome:
    process = await asyncio.create_subprocess_exec(
        WORKER,
        "dead-letters",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(CLI_TIMEOUT):
            stdout, stderr = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"flowra-worker dead-letters {' '.join(args)} ran over {CLI_TIMEOUT}s")
    assert process.returncode is not None
    return CliOutcome(process.returncode, stdout.decode(), stderr.decode())


@dataclass
class Stack:
    """One fresh, migrated database and a fresh bus prefix, as the console script sees them."""

    env: dict[str, str]
    database: MongoDatabase
    redis: Redis
    keys: BusKeys
    uploads: Path

    def core(self, bus: EventBus, clock: FixedClock) -> FlowraCore:
        """A core of this process on the shared database, publishing to `bus`."""
        ports = mongo_core_ports(
            self.database,
            clock=clock,
            ids=Uuid4Ids(),
            tokens=RandomTokens(),
            bus=bus,
            presence=InMemoryPresence(),
            blobs=LocalDiskBlobStorage(self.uploads),
        )
        return FlowraCore(ports)


@pytest.fixture
async def stack(mongodb_uri: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    addr, db = redis_addr(redis_url)
    env = environment(mongodb_uri, 0, tmp_path, database_prefix="flowra_dead_letters")
    keys = BusKeys(fresh_prefix("dead-letters-cli"))
    env |= {
        "FLOWRA_REDIS_ADDR": addr,
        "FLOWRA_REDIS_DB": str(db),
        "FLOWRA_EVENTBUS_REDIS_CHANNEL_PREFIX": keys.prefix,
    }
    client: MongoClient = create_mongo_client(mongodb_uri, timeout=MONGO_TIMEOUT, max_pool_size=10)
    database = MongoDatabase(client, env["FLOWRA_MONGODB_DATABASE"])
    try:
        # In process: what `flowra-migrator up` runs, without its second of start-up.
        await Migrator(database, owner="tests", clock=SystemClock()).up()
        async with redis_connection(redis_url) as redis:
            try:
                yield Stack(env, database, redis, keys, tmp_path / "uploads")
            finally:
                await delete_keys(redis, f"{keys.prefix}*")
    finally:
        await client.drop_database(database.name)
        await client.close()


async def provision(core: FlowraCore, username: str) -> Actor:
    claims = IdentityClaims(f"local:{username}", username, None, None, False, UserSource.DEV)
    return Actor((await core.users.provision(claims)).id)


async def _parked_message(stack: Stack) -> tuple[str, str]:
    """A message sent while Redis was unreachable, whose `live` reaction the sweep then failed
    to run until it was parked (the sweep runs on a clock moved past each back-off). Its
    commit id and event id."""
    unreachable = create_redis_client(
        f"127.0.0.1:{free_port()}", password="", db=0, pool_size=2, timeout=1.0
    )
    clock = FixedClock(datetime.now(UTC))
    try:
        core = stack.core(RedisEventBus(unreachable, keys=stack.keys, options=FAST_BUS), clock)
        alice = await provision(core, "alice")
        workspace = (await core.workspaces.create(alice, name="Ops", description=None)).workspace
        chat = (await core.chats.create(alice, workspace.id, NewChat(type="task", title="T"))).chat
        sent = await core.messages.send(alice, workspace.id, chat.id, content="while away")
        for attempt in range(1, PARK_AFTER_ATTEMPTS):
            clock.advance(backoff(attempt))
            await core.reactions.sweep(limit=100)
        parked = await core.ports.reaction_work.parked(limit=100)
    finally:
        await unreachable.aclose()
    [task] = [t for t in parked if t.aggregate_id == sent.message.message.id]
    assert (task.attempts, task.remaining) == (PARK_AFTER_ATTEMPTS, ("live",))
    [event] = await core.ports.event_store.read_stream(sent.message.message.id)
    return task.commit_id, event.event_id


async def test_the_command_lists_then_replays_parked_reactions(stack: Stack) -> None:
    commit_id, event_id = await _parked_message(stack)

    listed = await dead_letters_cli(stack.env)

    assert listed.returncode == 1, listed
    [line] = [line for line in listed.stdout.splitlines() if commit_id in line]
    assert f"attempts {PARK_AFTER_ATTEMPTS}" in line, line
    assert "owes live" in line, line
    assert event_id not in await _event_ids_on_stream(stack)

    replayed = await dead_letters_cli(stack.env, "--replay")

    assert replayed.returncode == 0, replayed
    assert "parked reactions: " in replayed.stdout, replayed.stdout
    assert f"parked reactions (failed {PARK_AFTER_ATTEMPTS} times): 0" in replayed.stdout
    assert event_id in await _event_ids_on_stream(stack)
    assert await stack.database.collection("reaction_work").count_documents({}) == 0


async def _event_ids_on_stream(stack: Stack) -> set[str]:
    entries: Any = await stack.redis.xrange(stack.keys.stream)
    return {decode_envelope(fields[ENVELOPE_FIELD]).event_id for _id, fields in entries}


async def test_an_unreachable_redis_is_one_line_on_stderr_and_exit_1(stack: Stack) -> None:
    env = stack.env | {"FLOWRA_REDIS_ADDR": f"127.0.0.1:{free_port()}"}

    outcomes = await asyncio.gather(dead_letters_cli(env), dead_letters_cli(env, "--replay"))

    for outcome in outcomes:
        assert outcome.returncode == 1, outcome
        assert "Traceback" not in outcome.stdout + outcome.stderr, outcome
        [line] = outcome.stderr.splitlines()
        assert line.startswith("flowra-worker dead-letters: redis is unavailable: "), line
