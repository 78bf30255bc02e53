"""What only the Redis event bus shows: several processes sharing consumer groups and live
fan-out, redelivery of failed and orphaned entries, dead letters, trimming, and the stream
layout."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from flowra_adapters.redis import BusKeys, BusOptions, RedisEventBus
from flowra_adapters.redis.codec import decode_envelope, encode_envelope
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.domain.events import EventEnvelope

from .contracts.redis_backends import (
    FAST_BUS,
    delete_keys,
    envelope,
    envelopes,
    eventually,
    fresh_prefix,
    redis_connection,
)

pytestmark = pytest.mark.integration

GROUP = "notifications"


class BusFactory:
    """Buses of several "processes" on the same stream; all stopped at the end."""

    def __init__(self, client: Redis, keys: BusKeys) -> None:
        self.client = client
        self.keys = keys
        self.made: list[RedisEventBus] = []

    def __call__(self, consumer_id: str, options: BusOptions = FAST_BUS) -> RedisEventBus:
        bus = RedisEventBus(self.client, keys=self.keys, consumer_id=consumer_id, options=options)
        self.made.append(bus)
        return bus

    async def pending(self, group: str = GROUP) -> int:
        summary: dict[str, Any] = await self.client.xpending(self.keys.stream, group)
        return int(summary["pending"])


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    async with redis_connection(redis_url) as connected:
        yield connected


@pytest.fixture
async def buses(client: Redis) -> AsyncIterator[BusFactory]:
    factory = BusFactory(client, BusKeys(fresh_prefix("bus")))
    try:
        yield factory
    finally:
        for bus in factory.made:
            await bus.stop()
        await delete_keys(client, f"{factory.keys.prefix}*")


class Recorder:
    """A handler that records each call, failing while `fail(envelope, attempt)` says so."""

    def __init__(self, fail: Callable[[EventEnvelope, int], BaseException | None] | None = None):
        self.calls: list[str] = []
        self.handled: list[EventEnvelope] = []
        self._fail = fail

    async def __call__(self, received: EventEnvelope) -> None:
        self.calls.append(received.event_id)
        if self._fail is not None:
            error = self._fail(received, self.calls.count(received.event_id))
            if error is not None:
                raise error
        self.handled.append(received)

    def handled_ids(self) -> set[str]:
        return {handled.event_id for handled in self.handled}


async def test_two_processes_in_one_group_handle_each_event_once(buses: BusFactory) -> None:
    first, second = Recorder(), Recorder()
    api_1, api_2 = buses("api-1"), buses("api-2")
    api_1.subscribe(GROUP, first)
    api_2.subscribe(GROUP, second)
    api_1.start()
    api_2.start()
    published = envelopes(40)

    for event in published:
        await (api_1 if event.version % 2 else api_2).publish([event])

    await eventually(lambda: len(first.handled) + len(second.handled) >= 40, what="40 handled")
    handled = [event.event_id for event in first.handled + second.handled]
    assert sorted(handled) == sorted(event.event_id for event in published)
    await eventually(lambda: _no_pending(buses), what="all acknowledged")


async def _no_pending(buses: BusFactory) -> bool:
    return await buses.pending() == 0


async def test_listeners_of_every_process_hear_events_published_by_any(
    buses: BusFactory,
) -> None:
    hub_1, hub_2 = Recorder(), Recorder()
    api_1, api_2 = buses("api-1"), buses("api-2")
    api_1.listen(hub_1)
    api_2.listen(hub_2)
    api_1.start()
    api_2.start()
    await eventually(lambda: api_1.is_listening and api_2.is_listening, what="subscribed")
    from_1, from_2 = envelopes(3, aggregate_id="u1"), envelopes(2, aggregate_id="u2")

    await api_1.publish(from_1)
    await api_2.publish(from_2)

    await eventually(lambda: len(hub_1.handled) >= 5 and len(hub_2.handled) >= 5, what="heard")
    for hub in (hub_1, hub_2):
        assert [e for e in hub.handled if e.aggregate_id == "u1"] == from_1
        assert [e for e in hub.handled if e.aggregate_id == "u2"] == from_2


async def test_a_failed_entry_comes_back_without_holding_up_later_ones(
    buses: BusFactory,
) -> None:
    flaky = Recorder(
        lambda event, attempt: RuntimeError("boom") if event.version == 2 and attempt == 1 else None
    )
    bus = buses("worker-1")
    bus.subscribe(GROUP, flaky)
    bus.start()

    await bus.publish(envelopes(4))

    await eventually(lambda: len(flaky.handled) == 4, what="all 4 handled")
    assert flaky.calls == ["u1-e1", "u1-e2", "u1-e3", "u1-e4", "u1-e2"]
    await eventually(lambda: _no_pending(buses), what="all acknowledged")
    assert await bus.dead_letter_count() == 0


async def test_an_entry_failing_every_delivery_becomes_a_dead_letter(
    buses: BusFactory, client: Redis
) -> None:
    poisoned = Recorder(
        lambda event, _attempt: ValueError("bad data") if event.version == 2 else None
    )
    bus = buses("worker-1")
    bus.subscribe(GROUP, poisoned)
    bus.start()

    await bus.publish(envelopes(3))

    await eventually(lambda: _dead_letters(bus, 1), what="one dead letter")
    assert poisoned.calls.count("u1-e2") == FAST_BUS.max_deliveries
    assert poisoned.handled_ids() == {"u1-e1", "u1-e3"}
    assert await buses.pending() == 0
    letter = await _only_dead_letter(client, buses.keys)
    assert decode_envelope(letter[b"envelope"]) == envelope(2, reactivated=True)
    assert letter[b"group"] == GROUP.encode()
    assert letter[b"deliveries"] == str(FAST_BUS.max_deliveries).encode()
    assert b"bad data" in letter[b"error"]


async def _dead_letters(bus: RedisEventBus, count: int) -> bool:
    return await bus.dead_letter_count() >= count


async def _only_dead_letter(client: Redis, keys: BusKeys) -> dict[bytes, bytes]:
    entries: Any = await client.xrange(keys.dead_letters)
    assert len(entries) == 1
    letter: dict[bytes, bytes] = entries[0][1]
    return letter


async def test_entries_of_a_consumer_that_died_are_taken_over(
    buses: BusFactory, client: Redis
) -> None:
    stream = buses.keys.stream
    await client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    await buses("api-1").publish(envelopes(3))
    # A process reads two entries, then dies before acknowledging them.
    await client.xreadgroup(GROUP, "crashed-process", {stream: ">"}, count=2)
    survivor = Recorder()
    bus = buses("worker-2")
    bus.subscribe(GROUP, survivor)

    bus.start()

    await eventually(lambda: len(survivor.handled) == 3, what="all 3 handled")
    handled = [event.event_id for event in survivor.handled]
    assert sorted(handled) == ["u1-e1", "u1-e2", "u1-e3"]
    assert handled.index("u1-e1") < handled.index("u1-e2")
    await eventually(lambda: _no_pending(buses), what="all acknowledged")


async def test_a_new_group_starts_from_the_oldest_event_kept(buses: BusFactory) -> None:
    api = buses("api-1")
    await api.publish(envelopes(2))
    late = Recorder()
    worker = buses("worker-1")
    worker.subscribe("search", late)

    worker.start()

    await eventually(lambda: len(late.handled) == 2, what="earlier events")
    assert late.handled == envelopes(2)


async def test_an_entry_that_is_no_event_becomes_a_dead_letter_at_once(
    buses: BusFactory, client: Redis
) -> None:
    await client.xadd(buses.keys.stream, {b"envelope": b"{not json"})
    await client.xadd(buses.keys.stream, {b"envelope": encode_envelope(envelope(1))})
    consumer = Recorder()
    bus = buses("worker-1")
    bus.subscribe(GROUP, consumer)

    bus.start()

    await eventually(lambda: len(consumer.handled) == 1, what="the real event")
    await eventually(lambda: _dead_letters(bus, 1), what="the bad entry dead")
    letter = await _only_dead_letter(client, buses.keys)
    assert letter[b"deliveries"] == b"1"
    assert b"not an event envelope" in letter[b"error"]


async def test_a_handler_whose_dependency_is_down_is_retried_past_max_deliveries(
    buses: BusFactory,
) -> None:
    attempts_failing = FAST_BUS.max_deliveries + 1
    outage = Recorder(
        lambda _event, attempt: (
            ServiceUnavailable("mongodb", "down") if attempt <= attempts_failing else None
        )
    )
    bus = buses("worker-1")
    bus.subscribe(GROUP, outage)
    bus.start()

    await bus.publish([envelope(1)])

    await eventually(lambda: len(outage.handled) == 1, what="handled after the outage")
    assert outage.calls == ["u1-e1"] * (attempts_failing + 1)
    assert await bus.dead_letter_count() == 0


async def test_the_stream_is_trimmed_to_about_its_bound(buses: BusFactory, client: Redis) -> None:
    bus = buses("api-1", dataclasses.replace(FAST_BUS, max_length=50))

    for first in range(1, 400, 50):
        await bus.publish([envelope(n) for n in range(first, first + 50)])

    length = await client.xlen(buses.keys.stream)
    # MAXLEN ~ trims whole stream nodes (up to 100 entries each): about the bound, never less.
    assert 50 <= length <= 150
    newest: Any = await client.xrevrange(buses.keys.stream, count=1)
    assert decode_envelope(newest[0][1][b"envelope"]) == envelope(400)


async def test_consumers_of_past_processes_leave_the_group(
    buses: BusFactory, client: Redis
) -> None:
    await client.xgroup_create(buses.keys.stream, GROUP, id="0", mkstream=True)
    await client.xgroup_createconsumer(buses.keys.stream, GROUP, "restarted-long-ago")
    bus = buses("worker-1", dataclasses.replace(FAST_BUS, consumer_expiry_seconds=0.01))
    bus.subscribe(GROUP, Recorder())

    bus.start()

    await eventually(lambda: _no_consumer_left(client, buses.keys), what="cleaned")


async def _no_consumer_left(client: Redis, keys: BusKeys) -> bool:
    # Redis lists a consumer once it has been given an entry: the idle bus is not there yet.
    return await client.xinfo_consumers(keys.stream, GROUP) == []


async def test_a_registered_name_takes_the_newest_handler(buses: BusFactory) -> None:
    replaced, current = Recorder(), Recorder()
    bus = buses("worker-1")
    bus.subscribe(GROUP, replaced)
    bus.start()
    bus.subscribe(GROUP, current)

    await bus.publish([envelope(1)])

    await eventually(lambda: len(current.handled) == 1, what="handled by the new handler")
    assert replaced.calls == []


def test_a_blocking_read_must_fit_in_the_socket_timeout(client: Redis) -> None:
    with pytest.raises(ValueError, match="socket timeout"):
        RedisEventBus(client, options=dataclasses.replace(FAST_BUS, block_seconds=5.0))
