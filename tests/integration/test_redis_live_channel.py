"""The live channel on Redis: typing, presence and read-marker pushes reach the listeners of
every instance on `<prefix>ws.ephemeral`, while the event bus's listeners, subscribed to every
`<prefix>*` channel, never mistake them for events. When its subscription comes back after a
loss, the gap handlers are told (never for the first subscription)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from flowra_adapters.redis import (
    BackoffPolicy,
    BusKeys,
    RedisEventBus,
    RedisLiveChannel,
    create_redis_client,
)
from flowra_core.domain.events import EventEnvelope
from flowra_core.ports.live import (
    ChatReadPush,
    LiveHandler,
    LivePush,
    PresencePush,
    PresenceStatus,
    TypingPush,
)

from .contracts.redis_backends import (
    FAST_BUS,
    envelope,
    eventually,
    fresh_prefix,
    redis_addr,
    redis_connection,
)

pytestmark = pytest.mark.integration

FAST_BACKOFF = BackoffPolicy(0.05, 0.5)
PUSHES: list[LivePush] = [
    TypingPush(chat_id="c1", user_id="u1"),
    PresencePush(
        user_id="u2",
        status=PresenceStatus.OFFLINE,
        last_seen_at=datetime(2026, 1, 28, 10, 30, 5, 250000, tzinfo=UTC),
        workspace_ids=("w1", "w2"),
    ),
    ChatReadPush(user_id="u3", chat_id="c2", last_read_message_id="m9", unread_count=0),
]


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    async with redis_connection(redis_url) as connected:
        yield connected


async def test_pushes_reach_the_listeners_of_every_instance(client: Redis) -> None:
    keys = BusKeys(fresh_prefix("live"))
    api_1, api_2 = RedisLiveChannel(client, keys=keys), RedisLiveChannel(client, keys=keys)
    heard_1: list[LivePush] = []
    heard_2: list[LivePush] = []
    api_1.listen(_append_to(heard_1))
    api_2.listen(_append_to(heard_2))
    api_1.start()
    api_2.start()
    try:
        await eventually(lambda: api_1.is_listening and api_2.is_listening, what="subscribed")

        for push in PUSHES:
            await api_1.publish(push)

        await eventually(lambda: len(heard_1) == 3 and len(heard_2) == 3, what="all heard")
        assert heard_1 == PUSHES
        assert heard_2 == PUSHES
    finally:
        await api_1.stop()
        await api_2.stop()


def _append_to(heard: list[LivePush]) -> LiveHandler:
    async def handler(push: LivePush) -> None:
        heard.append(push)

    return handler


async def test_event_listeners_skip_the_ephemeral_channel(client: Redis) -> None:
    keys = BusKeys(fresh_prefix("live"))
    bus, live = (
        RedisEventBus(client, keys=keys, options=FAST_BUS),
        RedisLiveChannel(client, keys=keys),
    )
    events: list[EventEnvelope] = []
    pushes: list[LivePush] = []

    async def on_event(received: EventEnvelope) -> None:
        events.append(received)

    bus.listen(on_event)
    live.listen(_append_to(pushes))
    bus.start()
    live.start()
    try:
        await eventually(lambda: bus.is_listening and live.is_listening, what="subscribed")

        await live.publish(PUSHES[0])
        await bus.publish([envelope(1)])

        await eventually(lambda: len(events) == 1 and len(pushes) == 1, what="both delivered")
        assert events == [envelope(1)]
        assert pushes == [PUSHES[0]]
    finally:
        await bus.stop()
        await live.stop()


async def test_a_killed_subscription_is_reported_as_a_gap_once_it_is_back(
    client: Redis, redis_url: str
) -> None:
    addr, db = redis_addr(redis_url)
    name = f"live-gap-{uuid.uuid4().hex[:10]}"
    named = create_redis_client(addr, password="", db=db, pool_size=5, timeout=2.0)
    named.connection_pool.connection_kwargs["client_name"] = name
    live = RedisLiveChannel(named, keys=BusKeys(fresh_prefix("live")), backoff=FAST_BACKOFF)
    heard: list[LivePush] = []
    gaps: list[None] = []

    async def gap() -> None:
        gaps.append(None)

    live.listen(_append_to(heard))
    live.on_gap(gap)
    live.start()
    try:
        await eventually(lambda: live.is_listening, what="subscribed")
        await live.publish(PUSHES[0])
        await eventually(lambda: len(heard) == 1, what="heard")
        assert gaps == []

        subscriptions = [
            c for c in await client.client_list() if c["name"] == name and int(c["sub"]) > 0
        ]
        assert len(subscriptions) == 1
        await client.client_kill_filter(_id=subscriptions[0]["id"])

        await eventually(lambda: len(gaps) == 1, what="gap reported")
        await live.publish(PUSHES[1])
        await eventually(lambda: len(heard) == 2, what="heard again")
        assert heard == PUSHES[:2]
        assert len(gaps) == 1
    finally:
        await live.stop()
        await named.aclose()
