"""Presence contract (in-memory vs Redis): a user is online while any instance holds them;
`hold` reports the first hold anywhere and `release` the last, which records last_seen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from .redis_backends import PresenceBackend

pytestmark = pytest.mark.integration

LEFT_AT = datetime(2026, 1, 28, 11, 0, 0, 125000, tzinfo=UTC)


async def test_a_held_user_is_online_until_released(presence: PresenceBackend) -> None:
    came_online = await presence.first.hold("alice")

    assert came_online
    assert await presence.reader.online(["alice", "bob"]) == {"alice"}

    went_offline = await presence.first.release("alice", LEFT_AT)

    assert went_offline
    assert await presence.reader.online(["alice", "bob"]) == set()
    assert await presence.reader.last_seen(["alice", "bob"]) == {"alice": LEFT_AT}


async def test_only_the_first_hold_and_the_last_release_anywhere_change_presence(
    presence: PresenceBackend,
) -> None:
    first_here = await presence.first.hold("alice")
    second_here = await presence.first.hold("alice")
    first_there = await presence.second.hold("alice")

    released_here_once = await presence.first.release("alice", LEFT_AT)
    released_here_twice = await presence.first.release("alice", LEFT_AT)
    still_online = await presence.reader.online(["alice"])
    released_there = await presence.second.release("alice", LEFT_AT)

    assert [first_here, second_here, first_there] == [True, False, False]
    assert [released_here_once, released_here_twice, released_there] == [False, False, True]
    assert still_online == {"alice"}
    assert await presence.reader.online(["alice"]) == set()


async def test_last_seen_is_unknown_for_users_never_seen_leaving(
    presence: PresenceBackend,
) -> None:
    await presence.first.hold("alice")

    assert await presence.reader.last_seen(["alice", "carol"]) == {}
    assert await presence.reader.last_seen([]) == {}
    assert await presence.reader.online([]) == set()


async def test_last_seen_follows_the_latest_departure(presence: PresenceBackend) -> None:
    earlier = datetime(2026, 1, 28, 9, 0, tzinfo=UTC)
    await presence.first.hold("alice")
    await presence.first.release("alice", earlier)
    await presence.second.hold("alice")

    back_online = await presence.reader.online(["alice"])
    await presence.second.release("alice", LEFT_AT)

    assert back_online == {"alice"}
    assert await presence.reader.last_seen(["alice"]) == {"alice": LEFT_AT}
