"""A database that does not answer: every adapter call fails fast with ServiceUnavailable
("mongodb") within the configured timeout instead of hanging, and the failure is counted."""

from __future__ import annotations

import gc
import socket
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest

from flowra_adapters.mongo import (
    MongoChatStore,
    MongoDatabase,
    MongoEventStore,
    MongoFileStore,
    MongoInviteTokenStore,
    MongoLeaseLocks,
    MongoMessageStore,
    MongoNotificationStore,
    MongoReadMarkerStore,
    MongoSearchIndex,
    MongoSummaryDraftStore,
    MongoUserStore,
    MongoWorkspaceStore,
)
from flowra_adapters.mongo.client import create_mongo_client, ping_mongo
from flowra_adapters.mongo.migrations import pending_migrations
from flowra_adapters.mongo.reaction_work import MongoReactionWork
from flowra_adapters.system import SystemClock
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.domain.user.bot import flowra_bot
from flowra_core.ports.search import SearchKind, SearchQuery

pytestmark = pytest.mark.integration

TIMEOUT_S = 0.3
# Server selection waits TIMEOUT_S; the rest is slack for a loaded machine.
DEADLINE_S = 3.0
Outcomes = list[tuple[str, str, str]]


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def outcomes() -> Outcomes:
    return []


@pytest.fixture
async def unreachable(outcomes: Outcomes) -> AsyncIterator[MongoDatabase]:
    client = create_mongo_client(
        f"mongodb://127.0.0.1:{closed_port()}", timeout=TIMEOUT_S, max_pool_size=1
    )
    try:
        yield MongoDatabase(client, "flowra_outage", on_operation=lambda *o: outcomes.append(o))
    finally:
        await client.close()
        _finalise_abandoned_sockets()


def _finalise_abandoned_sockets() -> None:
    """PyMongo's async connect leaves its socket open when `close()` cancels a server monitor
    in the middle of connecting (pool_shared._async_create_connection closes it only on
    OSError); the socket is freed on garbage collection. Collect it now, quietly, instead of
    at some later test's expense."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


Call = Callable[[MongoDatabase], Awaitable[object]]
NOW = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)

CALLS: dict[str, Call] = {
    "event stream": lambda db: MongoEventStore(db).read_stream("u1"),
    "reaction work list": lambda db: MongoReactionWork(db).due(now=NOW, limit=10),
    "reaction backlog": lambda db: MongoReactionWork(db).backlog(),
    "user save": lambda db: MongoUserStore(db).save(flowra_bot(NOW)),
    "user search": lambda db: MongoUserStore(db).search(q="a", among=None, after=None, limit=5),
    "workspace list": lambda db: MongoWorkspaceStore(db).list_by_name(
        member_id="u1", after=None, limit=5
    ),
    "invite tokens": lambda db: MongoInviteTokenStore(db).get_many(["i1"]),
    "chat activity": lambda db: MongoChatStore(db).set_last_message_at("c1", NOW),
    "lease lock": lambda db: MongoLeaseLocks(db, SystemClock()).acquire("relay", "me", 30),
    "pending migrations": pending_migrations,
    "message page": lambda db: MongoMessageStore(db).top_level("c1", before=None, limit=5),
    "thread stats": lambda db: MongoMessageStore(db).refresh_thread_stats("c1", "m1"),
    "unread counts": lambda db: MongoMessageStore(db).unread_counts("c1", "u1", after=None),
    "summary draft": lambda db: MongoSummaryDraftStore(db).get("m1"),
    "read marker": lambda db: MongoReadMarkerStore(db).get_many("u1", ["c1"]),
    "notifications": lambda db: MongoNotificationStore(db).unread_count("u1", workspace_ids=["w1"]),
    "search": lambda db: MongoSearchIndex(db).search(
        SearchQuery(
            workspace_id="w1",
            chat_ids=["c1"],
            kinds=[SearchKind.MESSAGE],
            words=["hello"],
            before=None,
            limit=5,
        )
    ),
    "file": lambda db: MongoFileStore(db).get("f1"),
}


@pytest.mark.parametrize("call", list(CALLS.values()), ids=list(CALLS))
async def test_each_adapter_call_fails_fast_as_service_unavailable(
    unreachable: MongoDatabase, outcomes: Outcomes, call: Call
) -> None:
    started = time.monotonic()

    with pytest.raises(ServiceUnavailable) as raised:
        await call(unreachable)

    assert time.monotonic() - started < DEADLINE_S
    assert raised.value.dependency == "mongodb"
    assert outcomes
    assert outcomes[-1][2] == "error"


async def test_a_ping_reports_the_outage(unreachable: MongoDatabase) -> None:
    started = time.monotonic()

    with pytest.raises(ServiceUnavailable):
        await ping_mongo(unreachable.raw.client)

    assert time.monotonic() - started < DEADLINE_S
