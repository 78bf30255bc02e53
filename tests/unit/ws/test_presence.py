"""Presence (websocket.md §6): online with the first connection, offline after the grace period
once the last one closed; pushed to the users who share a workspace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.ports.live import PresenceStatus
from flowra_entrypoints.ws.testing import MemorySocket
from flowra_entrypoints.ws.testing_kit import GatewayKit, KitFactory

START = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)


@dataclass
class People:
    """olivia and mia share Acme; oscar shares nothing with them."""

    olivia: Actor
    mia: Actor
    oscar: Actor


async def people_of(env: GatewayKit) -> People:
    olivia, mia, oscar = [await env.tc.user(name) for name in ("olivia", "mia", "oscar")]
    await env.workspace(olivia, mia)
    return People(olivia, mia, oscar)


@pytest.fixture
async def people(env: GatewayKit) -> People:
    return await people_of(env)


def presence_of(socket: MemorySocket, user: Actor) -> list[tuple[str, str]]:
    return [
        (frame["status"], frame["last_seen_at"])
        for frame in socket.of_type("presence.changed")
        if frame["user_id"] == user.user_id
    ]


async def is_online(env: GatewayKit, user: Actor) -> bool:
    return user.user_id in await env.tc.adapters.presence.online([user.user_id])


class TestOnline:
    async def test_the_first_connection_is_announced_to_co_members(
        self, env: GatewayKit, people: People
    ) -> None:
        olivia, oscar = await env.connect(people.olivia), await env.connect(people.oscar)
        mia = await env.connect(people.mia)
        frame = await olivia.frame("presence.changed", user_id=people.mia.user_id)
        assert frame == {
            "type": "presence.changed",
            "user_id": people.mia.user_id,
            "status": "online",
            "last_seen_at": "2026-01-28T10:30:00.000Z",
        }
        await env.settle(oscar, mia)
        assert presence_of(oscar, people.mia) == []
        assert presence_of(mia, people.mia) == []
        assert await is_online(env, people.mia)

    async def test_a_second_connection_is_not_announced(
        self, env: GatewayKit, people: People
    ) -> None:
        olivia = await env.connect(people.olivia)
        await env.connect(people.mia)
        await env.connect(people.mia)
        await env.settle(olivia)
        assert presence_of(olivia, people.mia) == [("online", "2026-01-28T10:30:00.000Z")]


class TestOffline:
    async def test_follows_the_grace_period_after_the_last_close(
        self, env: GatewayKit, people: People
    ) -> None:
        olivia = await env.connect(people.olivia)
        first, second = await env.connect(people.mia), await env.connect(people.mia)
        await env.hang_up(first)
        env.tc.clock.advance(timedelta(seconds=3))
        await env.hang_up(second)
        await env.settle(olivia)
        [timer] = env.scheduler.timers
        assert timer.delay == 5.0
        assert await is_online(env, people.mia)  # still within the grace period
        env.tc.clock.advance(timedelta(seconds=5))
        await env.scheduler.fire()
        await olivia.frame("presence.changed", status="offline")
        assert presence_of(olivia, people.mia)[-1] == ("offline", "2026-01-28T10:30:03.000Z")
        assert not await is_online(env, people.mia)
        last_seen = await env.tc.adapters.presence.last_seen([people.mia.user_id])
        assert last_seen == {people.mia.user_id: START + timedelta(seconds=3)}

    async def test_is_not_sent_when_the_user_returns_within_the_grace_period(
        self, env: GatewayKit, people: People
    ) -> None:
        olivia = await env.connect(people.olivia)
        mia = await env.connect(people.mia)
        await env.hang_up(mia)
        assert len(env.scheduler.timers) == 1
        await env.connect(people.mia)
        await env.scheduler.fire()
        await env.settle(olivia)
        assert [status for status, _ in presence_of(olivia, people.mia)] == ["online"]
        assert await is_online(env, people.mia)

    async def test_is_immediate_without_a_grace_period(self, make_env: KitFactory) -> None:
        env = await make_env(grace=0.0)
        people = await people_of(env)
        olivia, mia = await env.connect(people.olivia), await env.connect(people.mia)
        await env.hang_up(mia)
        await olivia.frame("presence.changed", status="offline")
        assert env.scheduler.timers == []

    async def test_shutdown_closes_with_1001_and_lets_go_of_everyone(
        self, env: GatewayKit, people: People
    ) -> None:
        sockets = [await env.connect(people.olivia), await env.connect(people.mia)]
        await env.gateway.stop()
        assert [socket.close_code for socket in sockets] == [1001, 1001]
        assert not await is_online(env, people.olivia)
        assert not await is_online(env, people.mia)
        gauge = env.metrics.registry.get_sample_value("flowra_websocket_connections")
        assert gauge == 0


class TestChangesFoundByTheRegistry:
    async def test_are_announced_like_the_gateways_own(
        self, env: GatewayKit, people: People
    ) -> None:
        olivia = await env.connect(people.olivia)
        at = START + timedelta(minutes=1)
        await env.gateway.presence_changed(people.mia.user_id, PresenceStatus.OFFLINE, at)
        frame = await olivia.frame("presence.changed", user_id=people.mia.user_id)
        assert (frame["status"], frame["last_seen_at"]) == ("offline", "2026-01-28T10:31:00.000Z")
