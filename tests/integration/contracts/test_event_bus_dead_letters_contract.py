"""Dead-letter contract (in-memory vs Redis bus): a consumer that keeps failing on an event does not
fail the publication nor hold up other events or groups; after its last allowed delivery the
event is a dead letter that can be listed, counted and replayed through the group's handler
(removed on success, kept and reported on failure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.domain.events import EventEnvelope

from .redis_backends import FAST_BUS, BusBackend, envelope, envelopes, eventually

pytestmark = pytest.mark.integration

GROUP = "dispatch"


class Consumer:
    """Records every call; fails on the events in `poisoned` while `broken`."""

    def __init__(self, *poisoned: str) -> None:
        self.poisoned = set(poisoned)
        self.broken = True
        self.calls: list[str] = []
        self.handled: list[str] = []

    async def __call__(self, received: EventEnvelope) -> None:
        self.calls.append(received.event_id)
        if self.broken and received.event_id in self.poisoned:
            raise ValueError(f"bad data in {received.event_id}")
        self.handled.append(received.event_id)


async def dead_letters_after_failing_on(
    backend: BusBackend, consumer: Consumer, count: int
) -> None:
    backend.bus.subscribe(GROUP, consumer)
    await backend.start()
    await backend.bus.publish(envelopes(3))

    async def parked() -> bool:
        return await backend.dead_letters.dead_letter_count() >= count

    await eventually(parked, what=f"{count} dead letters")


async def test_an_event_its_consumer_keeps_failing_on_becomes_a_dead_letter(
    event_bus: BusBackend,
) -> None:
    consumer = Consumer("u1-e2")

    await dead_letters_after_failing_on(event_bus, consumer, 1)

    await eventually(lambda: len(consumer.handled) == 2, what="the healthy events")
    assert sorted(consumer.handled) == ["u1-e1", "u1-e3"]
    assert consumer.calls.count("u1-e2") == FAST_BUS.max_deliveries
    [letter] = await event_bus.dead_letters.dead_letters()
    assert (letter.group, letter.event_id, letter.event_type) == (
        GROUP,
        "u1-e2",
        "user.reactivated",
    )
    assert letter.deliveries == FAST_BUS.max_deliveries
    assert "bad data in u1-e2" in letter.error
    assert abs(letter.dead_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert await event_bus.dead_letters.dead_letter_count() == 1


async def test_a_failing_consumer_holds_up_no_other_group_or_listener(
    event_bus: BusBackend,
) -> None:
    search, live = Consumer(), Consumer()
    event_bus.bus.subscribe("search", search)
    event_bus.bus.listen(live)

    event_bus.bus.subscribe(GROUP, Consumer("u1-e1", "u1-e2", "u1-e3"))
    await event_bus.start(listening=True)
    await event_bus.bus.publish(envelopes(3))

    await eventually(lambda: len(search.handled) == 3 and len(live.handled) == 3, what="others")
    assert search.handled == live.handled == ["u1-e1", "u1-e2", "u1-e3"]


async def test_letters_are_listed_oldest_first_up_to_the_limit(event_bus: BusBackend) -> None:
    await dead_letters_after_failing_on(event_bus, Consumer("u1-e1", "u1-e3"), 2)

    everything = await event_bus.dead_letters.dead_letters()
    first = await event_bus.dead_letters.dead_letters(limit=1)

    assert [letter.event_id for letter in everything] == ["u1-e1", "u1-e3"]
    assert first == everything[:1]


async def test_replay_gives_each_letter_to_its_group_and_removes_those_handled(
    event_bus: BusBackend,
) -> None:
    consumer = Consumer("u1-e2")
    await dead_letters_after_failing_on(event_bus, consumer, 1)
    [letter] = await event_bus.dead_letters.dead_letters()
    consumer.broken = False

    outcome = await event_bus.dead_letters.replay_dead_letters()

    assert (list(outcome.replayed), list(outcome.failed)) == ([letter], [])
    assert consumer.handled.count("u1-e2") == 1
    assert await event_bus.dead_letters.dead_letter_count() == 0
    assert await event_bus.dead_letters.dead_letters() == []


async def test_a_letter_that_fails_again_is_kept_and_reported(event_bus: BusBackend) -> None:
    consumer = Consumer("u1-e2")
    await dead_letters_after_failing_on(event_bus, consumer, 1)
    [letter] = await event_bus.dead_letters.dead_letters()

    outcome = await event_bus.dead_letters.replay_dead_letters()

    assert list(outcome.replayed) == []
    [failure] = outcome.failed
    assert failure.letter == letter
    assert "bad data in u1-e2" in failure.error
    assert await event_bus.dead_letters.dead_letters() == [letter]


async def test_replay_with_no_dead_letters_does_nothing(event_bus: BusBackend) -> None:
    consumer = Consumer()
    event_bus.bus.subscribe(GROUP, consumer)
    await event_bus.start()
    await event_bus.bus.publish([envelope(1)])
    await eventually(lambda: consumer.handled == ["u1-e1"], what="handled")

    outcome = await event_bus.dead_letters.replay_dead_letters()

    assert (list(outcome.replayed), list(outcome.failed)) == ([], [])
    assert consumer.calls == ["u1-e1"]
