"""A browser session ended on one API instance closes, with 4401, the WebSockets its tickets
opened on another instance: the end travels on the Redis live channel (`<prefix>ws.ephemeral`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from flowra_adapters.redis import BackoffPolicy, BusKeys, RedisLiveChannel
from flowra_entrypoints.ws.testing import MemorySocket
from flowra_entrypoints.ws.testing_kit import GatewayKit, build_gateway_kit

from .contracts.redis_backends import eventually, fresh_prefix, redis_connection

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    async with redis_connection(redis_url) as connected:
        yield connected


@pytest.fixture
async def instances(client: Redis) -> AsyncIterator[tuple[GatewayKit, GatewayKit]]:
    keys = BusKeys(fresh_prefix("live"))
    channels = [
        RedisLiveChannel(client, keys=keys, backoff=BackoffPolicy(0.05, 0.5)) for _ in range(2)
    ]
    kits: list[GatewayKit] = []
    try:
        for channel in channels:
            channel.start()
            kits.append(await build_gateway_kit(live=channel))
        await eventually(lambda: all(c.is_listening for c in channels), what="subscribed")
        yield kits[0], kits[1]
    finally:
        for kit in kits:
            await kit.close()
        for channel in channels:
            await channel.stop()


async def open_with_ticket(kit: GatewayKit, username: str, session_id: str) -> MemorySocket:
    actor = await kit.tc.user(username)
    issued = await kit.tickets.issue(actor.user_id, session_id=session_id)
    socket = kit.open(MemorySocket(query={"ticket": issued.ticket}))
    await socket.frame("connected")
    return socket


async def test_a_logout_on_one_instance_closes_the_sessions_socket_on_another(
    instances: tuple[GatewayKit, GatewayKit],
) -> None:
    logged_out_here, elsewhere = instances
    ended = await open_with_ticket(elsewhere, "mia", "session-1")
    other_session = await open_with_ticket(elsewhere, "mia", "session-2")

    await logged_out_here.gateway.session_ended("session-1")

    await ended.closed()
    assert ended.close_code == 4401
    await elsewhere.settle(other_session)
    assert other_session.close_code is None
