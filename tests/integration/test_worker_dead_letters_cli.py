"""`flowra-worker dead-letters [--replay]` run as the console script against FerretDB and Redis.

What it parks is arranged the way production gets there, with the real adapters in this
process: a message whose direct publication met a dead Redis and which the relay then failed
to publish ten times (a stuck commit), and a notification dispatcher that raised on every
delivery of every event until its consumer group dead-lettered them all, among them a mention
of bob. The command lists both and exits 1; `--replay` publishes the commit, hands the letters
to the real dispatcher of its own process (which creates bob's mention notification) and
exits 0. With Redis unreachable it exits 1 with one line on stderr, not a traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from flowra_adapters.files.local_disk import LocalDiskBlobStorage
from flowra_adapters.mongo.client import MongoClient, create_mongo_client
from flowra_adapters.mongo.core_ports import mongo_core_ports
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.event_store import MongoEventStore
from flowra_adapters.mongo.migrations import Migrator
from flowra_adapters.redis import BusKeys, RedisEventBus, create_redis_client
from flowra_adapters.redis.bus_config import ENVELOPE_FIELD
from flowra_adapters.redis.codec import decode_envelope
from flowra_adapters.system import RandomTokens, SystemClock, Uuid4Ids
from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.app.dispatch import DISPATCH_CONSUMER
from flowra_core.app.relay import MAX_BACKOFF_SECONDS, STUCK_AFTER_ATTEMPTS, Relay
from flowra_core.domain.chat import NewChat
from flowra_core.domain.events import AggregateType, EventEnvelope
from flowra_core.domain.notification import NotificationType
from flowra_core.domain.user import UserSource
from flowra_core.ports.event_bus import EventBus
from flowra_core.ports.identity import IdentityClaims
from flowra_core.ports.repair import RepairStatus
from flowra_core.testing.clock import FixedClock
from flowra_core.testing.presence import InMemoryPresence

from .contracts.redis_backends import (
    FAST_BUS,
    delete_keys,
    eventually,
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
class Outcome:
    returncode: int
    stdout: str
    stderr: str


async def dead_letters_cli(env: dict[str, str], *args: str) -> Outcome:
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
    return Outcome(process.returncode, stdout.decode(), stderr.decode())


@dataclass
class Stack:
    """One fresh, migrated database and a fresh bus prefix, as the console script sees them."""

    env: dict[str, str]
    database: MongoDatabase
    redis: Redis
    keys: BusKeys
    uploads: Path

    def core(self, bus: EventBus) -> FlowraCore:
        """A core of this process on the shared database, publishing to `bus`."""
        ports = mongo_core_ports(
            self.database,
            clock=SystemClock(),
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


async def broken_dispatch(received: EventEnvelope) -> None:
    raise RuntimeError(f"notification store rejected {received.type}")


async def test_the_command_lists_then_replays_a_stuck_commit_and_dead_letters(
    stack: Stack,
) -> None:
    bus = RedisEventBus(stack.redis, keys=stack.keys, options=FAST_BUS)
    core = stack.core(bus)
    alice, bob = await provision(core, "alice"), await provision(core, "bob")
    workspace = (await core.workspaces.create(alice, name="Ops", description=None)).workspace
    await core.workspaces.add_member(
        alice, workspace.id, user_id=bob.user_id, username=None, role=None
    )
    draft = NewChat(type="task", title="Ship", participant_ids=[bob.user_id])
    chat = (await core.chats.create(alice, workspace.id, draft)).chat
    mention = await core.messages.send(alice, workspace.id, chat.id, content="ping @bob")
    [mention_event] = await core.ports.event_store.read_stream(mention.message.message.id)
    await _dead_letter_everything_published(stack)
    stuck_commit_id, stuck_event_id = await _stuck_message(stack, alice, workspace.id, chat.id)
    failed_repair = await _failed_repair(core, chat.id)

    listed = await dead_letters_cli(stack.env)

    assert listed.returncode == 1, listed
    [stuck_line] = [line for line in listed.stdout.splitlines() if stuck_commit_id in line]
    assert "attempts 10" in stuck_line, stuck_line
    assert "message.created" in stuck_line, stuck_line
    [letter_line] = [line for line in listed.stdout.splitlines() if mention_event.event_id in line]
    assert f"group {DISPATCH_CONSUMER}" in letter_line, letter_line
    assert "message.created" in letter_line, letter_line
    assert "rejected message.created" in letter_line, letter_line
    [repair_line] = [line for line in listed.stdout.splitlines() if failed_repair in line]
    assert f"chat {chat.id}  attempts 5" in repair_line, repair_line

    assert await _mention_notification(stack, bob, mention_event) is None

    replayed = await dead_letters_cli(stack.env, "--replay")

    assert replayed.returncode == 0, replayed
    assert "stuck commits: 1 published" in replayed.stdout, replayed.stdout
    assert "stuck commits (unpublished after 10+ attempts): 0" in replayed.stdout
    assert "bus dead letters: 0\n" in replayed.stdout
    assert "failed repairs: 1 queued again" in replayed.stdout
    assert "failed repairs: 0" in replayed.stdout
    repairs = await core.ports.repair_queue.counts()
    assert (repairs[RepairStatus.PENDING], repairs[RepairStatus.FAILED]) == (1, 0)
    commits = stack.database.collection("commits")
    stuck_doc = await commits.find_one({"_id": stuck_commit_id})
    assert stuck_doc is not None
    assert stuck_doc["published_at"] is not None
    assert stuck_event_id in await _event_ids_on_stream(stack)
    assert await bus.dead_letter_count() == 0
    assert await _mention_notification(stack, bob, mention_event) is not None
    mention_doc = await commits.find_one({"events.event_id": mention_event.event_id})
    assert mention_doc is not None
    assert mention_doc["dispatched_at"] is not None


async def _failed_repair(core: FlowraCore, chat_id: str) -> str:
    """A repair of the chat that failed for good, as the repair job leaves it."""
    queue = core.ports.repair_queue
    item = await queue.enqueue(
        AggregateType.CHAT,
        chat_id,
        "projection failed: ServiceUnavailable: timeout",
        item_id=f"repair-{chat_id}",
        now=datetime.now(UTC),
    )
    await queue.record_failure(item.id, attempts=5, error="still broken", retry_at=None)
    return item.id


async def _mention_notification(
    stack: Stack, user: Actor, source: EventEnvelope
) -> dict[str, Any] | None:
    query = {
        "user_id": user.user_id,
        "type": NotificationType.CHAT_MENTION.value,
        "source_event_id": source.event_id,
    }
    return await stack.database.collection("notifications").find_one(query)


async def _dead_letter_everything_published(stack: Stack) -> None:
    """A worker whose dispatcher raises on every delivery, until its group gave up on every
    event on the stream."""
    broken = RedisEventBus(
        stack.redis, keys=stack.keys, consumer_id="broken-worker", options=FAST_BUS
    )
    broken.subscribe(DISPATCH_CONSUMER, broken_dispatch)
    published = await stack.redis.xlen(stack.keys.stream)
    assert published > 0
    broken.start()
    try:
        await eventually(
            lambda: _dead_letters_are(broken, published), what=f"{published} dead letters"
        )
    finally:
        await broken.stop()


async def _dead_letters_are(bus: RedisEventBus, count: int) -> bool:
    return await bus.dead_letter_count() == count


async def _stuck_message(
    stack: Stack, author: Actor, workspace_id: str, chat_id: str
) -> tuple[str, str]:
    """A message sent while Redis was unreachable, then refused to the relay ten times: the
    relay runs on a clock moved past each back-off. Returns its commit id and event id."""
    unreachable = create_redis_client(
        f"127.0.0.1:{free_port()}", password="", db=0, pool_size=2, timeout=1.0
    )
    try:
        dead_bus = RedisEventBus(unreachable, keys=stack.keys, options=FAST_BUS)
        core = stack.core(dead_bus)
        sent = await core.messages.send(author, workspace_id, chat_id, content="while away")
        clock = FixedClock(datetime.now(UTC))
        relay = Relay(MongoEventStore(stack.database), dead_bus, clock, batch_size=10)
        for _ in range(STUCK_AFTER_ATTEMPTS):
            clock.advance(timedelta(seconds=MAX_BACKOFF_SECONDS + 1))
            report = await relay.run_once()
            assert (report.published, report.failed) == (0, 1), report
    finally:
        await unreachable.aclose()
    [parked] = await core.ports.event_store.stuck(
        stuck_after_attempts=STUCK_AFTER_ATTEMPTS, limit=10
    )
    assert parked.commit.aggregate_id == sent.message.message.id
    [event] = parked.commit.events
    return parked.commit.commit_id, event.event_id


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
