"""What only the Redis bus shows of dead letters: they outlive the process that wrote them, so
another process (`flowra-worker dead-letters --replay`) lists and replays them with its own
handlers, page after page; letters it cannot handle stay, with the reason."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

from flowra_adapters.redis import BusKeys, RedisEventBus
from flowra_adapters.redis.codec import encode_envelope
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

GROUP = "dispatch"


class Handled:
    def __init__(self) -> None:
        self.event_ids: list[str] = []

    async def __call__(self, received: EventEnvelope) -> None:
        self.event_ids.append(received.event_id)


async def always_fails(received: EventEnvelope) -> None:
    raise RuntimeError(f"cannot handle {received.event_id}")


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    async with redis_connection(redis_url) as connected:
        yield connected


@pytest.fixture
async def keys(client: Redis) -> AsyncIterator[BusKeys]:
    keys = BusKeys(fresh_prefix("bus"))
    yield keys
    await delete_keys(client, f"{keys.prefix}*")


def idle_bus(client: Redis, keys: BusKeys) -> RedisEventBus:
    """A process that registers handlers but runs no consumer loop (the CLI)."""
    return RedisEventBus(client, keys=keys, options=FAST_BUS)


async def park(client: Redis, keys: BusKeys, **fields: EncodableT) -> None:
    """Write a dead letter as a consumer group would."""
    letter: dict[FieldT, EncodableT] = {"group": GROUP, "deliveries": 5, "error": "boom"}
    letter.update(fields)
    await client.xadd(keys.dead_letters, letter)


async def test_another_process_replays_what_a_worker_gave_up_on(
    client: Redis, keys: BusKeys
) -> None:
    worker = RedisEventBus(client, keys=keys, consumer_id="worker-1", options=FAST_BUS)
    worker.subscribe(GROUP, always_fails)
    worker.start()
    try:
        await worker.publish(envelopes(2))
        await eventually(lambda: _count_is(worker, 2), what="two dead letters")
    finally:
        await worker.stop()
    cli = idle_bus(client, keys)
    fixed = Handled()
    cli.subscribe(GROUP, fixed)

    listed = await cli.dead_letters()
    outcome = await cli.replay_dead_letters()

    assert [letter.event_id for letter in listed] == ["u1-e1", "u1-e2"]
    assert "cannot handle u1-e1" in listed[0].error
    assert list(outcome.replayed) == listed
    assert fixed.event_ids == ["u1-e1", "u1-e2"]
    assert await cli.dead_letter_count() == 0


async def _count_is(bus: RedisEventBus, count: int) -> bool:
    return await bus.dead_letter_count() == count


async def test_a_group_without_a_handler_here_keeps_its_letters(
    client: Redis, keys: BusKeys
) -> None:
    await park(client, keys, envelope=encode_envelope(envelope(1)), group="search")
    cli = idle_bus(client, keys)
    cli.subscribe(GROUP, Handled())

    outcome = await cli.replay_dead_letters()

    [failure] = outcome.failed
    assert failure.letter.group == "search"
    assert "no handler for consumer group 'search'" in failure.error
    assert await cli.dead_letter_count() == 1


async def test_an_entry_that_is_no_event_is_listed_and_kept(client: Redis, keys: BusKeys) -> None:
    await park(client, keys, envelope=b"{not json", deliveries=1, error="not an event envelope")
    await park(
        client,
        keys,
        envelope=b'{"type": "chat.from_a_newer_version"}',
        event_id="e-9",
        event_type="chat.from_a_newer_version",
    )
    cli = idle_bus(client, keys)
    handled = Handled()
    cli.subscribe(GROUP, handled)

    listed = await cli.dead_letters()
    outcome = await cli.replay_dead_letters()

    assert [(x.event_id, x.event_type, x.deliveries) for x in listed] == [
        (None, None, 1),
        ("e-9", "chat.from_a_newer_version", 5),
    ]
    assert [failure.letter for failure in outcome.failed] == listed
    assert handled.event_ids == []
    assert await cli.dead_letter_count() == 2


async def test_replay_goes_through_every_page(client: Redis, keys: BusKeys) -> None:
    for number in range(1, 251):
        poisoned = number % 50 == 0
        await park(
            client,
            keys,
            envelope=encode_envelope(envelope(number)),
            group="x" if poisoned else GROUP,
        )
    cli = idle_bus(client, keys)
    handled = Handled()
    cli.subscribe(GROUP, handled)

    outcome = await cli.replay_dead_letters()

    assert len(outcome.replayed) == 245
    assert [failure.letter.event_id for failure in outcome.failed] == [
        f"u1-e{n}" for n in range(50, 251, 50)
    ]
    assert handled.event_ids == [f"u1-e{n}" for n in range(1, 251) if n % 50]
    assert await cli.dead_letter_count() == 5
