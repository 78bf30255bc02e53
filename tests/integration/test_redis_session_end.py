"""A browser session ended on one API instance closes, with 4401, the WebSockets its tickets
opened on another instance: the end travels on the Redis live channel (`<prefix>ws.ephemeral`).
An end published while that instance's subscription was down is made up for once it is back:
the instance asks the shared session store about its connections' sessions."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from redis.asyncio import Redis

from flowra_adapters.keycloak import OidcTokens
from flowra_adapters.redis import (
    BackoffPolicy,
    BusKeys,
    RedisEphemeralStore,
    RedisLiveChannel,
    create_redis_client,
)
from flowra_adapters.system import RandomTokens
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.testing.clock import FixedClock
from flowra_entrypoints.http.sessions import SessionBook
from flowra_entrypoints.ws.testing import MemorySocket
from flowra_entrypoints.ws.testing_kit import GatewayKit, build_gateway_kit

from .contracts.redis_backends import eventually, fresh_prefix, redis_addr, redis_connection

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


class RefusingIdp:
    async def refresh(self, refresh_token: str) -> OidcTokens:
        raise DomainError(ErrorCode.INVALID_REFRESH_TOKEN, "Session not active")


def shared_session_book(client: Redis) -> SessionBook:
    """An instance's session book: the sessions themselves live in Redis, shared by all."""
    return SessionBook(
        store=RedisEphemeralStore(client),
        tokens=RandomTokens(),
        clock=FixedClock(),
        refresher=RefusingIdp(),
        secret="redis-session-end-secret-0123456789abcdef",
        max_lifetime=600,
    )


async def logged_in(book: SessionBook) -> tuple[str, str]:
    """A new session: its cookie value and its id."""
    cookie = await book.open(
        OidcTokens(
            access_token="at",
            refresh_token="rt",
            token_type="Bearer",
            expires_in=300,
            refresh_expires_in=600,
            id_token=None,
        )
    )
    session_id = book.session_id(cookie)
    assert session_id is not None
    return cookie, session_id


@dataclass
class LockableUser:
    """A Redis ACL user of its own for one instance's live channel: `lock()` refuses its logins
    (connections already open stay), so a subscription killed under it stays down until
    `unlock()`."""

    admin: Redis
    name: str = field(default_factory=lambda: f"flowra-test-{uuid.uuid4().hex[:10]}")
    password: str = field(default_factory=lambda: uuid.uuid4().hex)

    async def create(self) -> None:
        await self.admin.acl_setuser(
            self.name,
            enabled=True,
            reset=True,
            passwords=[f"+{self.password}"],
            keys=["*"],
            channels=["*"],
            categories=["+@all"],
        )

    async def lock(self) -> None:
        await self.admin.acl_setuser(self.name, enabled=False)

    async def unlock(self) -> None:
        await self.admin.acl_setuser(self.name, enabled=True)

    async def drop(self) -> None:
        await self.admin.acl_deluser(self.name)

    def client(self, redis_url: str) -> Redis:
        addr, db = redis_addr(redis_url)
        client = create_redis_client(addr, password=self.password, db=db, pool_size=5, timeout=2.0)
        client.connection_pool.connection_kwargs["username"] = self.name
        return client

    async def kill_subscriptions(self) -> int:
        ours = [
            c
            for c in await self.admin.client_list()
            if c["user"] == self.name and int(c.get("sub", 0)) > 0
        ]
        for connection in ours:
            await self.admin.client_kill_filter(_id=connection["id"])
        return len(ours)


def listened_by(admin: Redis, channel: str, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        counts = await admin.pubsub_numsub(channel)
        return int(counts[0][1]) == count

    return check


async def test_an_end_published_while_an_instance_was_not_listening_closes_its_socket_once_back(
    client: Redis, redis_url: str
) -> None:
    keys = BusKeys(fresh_prefix("live"))
    user = LockableUser(client)
    await user.create()
    user_client = user.client(redis_url)
    channel_a = RedisLiveChannel(client, keys=keys, backoff=BackoffPolicy(0.05, 0.5))
    channel_b = RedisLiveChannel(user_client, keys=keys, backoff=BackoffPolicy(0.05, 0.5))
    book_a, book_b = shared_session_book(client), shared_session_book(client)
    kits: list[GatewayKit] = []
    try:
        for channel in (channel_a, channel_b):
            channel.start()
        kits.append(await build_gateway_kit(live=channel_a))
        kits.append(await build_gateway_kit(live=channel_b, sessions=book_b))
        instance_a, instance_b = kits
        book_a.on_ended(instance_a.gateway.session_ended)
        await eventually(lambda: channel_a.is_listening and channel_b.is_listening, what="subs")
        ended_cookie, ended_id = await logged_in(book_a)
        kept_cookie, kept_id = await logged_in(book_a)
        ended = await open_with_ticket(instance_b, "mia", ended_id)
        kept = await open_with_ticket(instance_b, "mia", kept_id)
        await instance_b.settle(ended, kept)  # B has relayed Mia's presence

        await user.lock()
        assert await user.kill_subscriptions() == 1
        await eventually(listened_by(client, keys.ephemeral_channel, 1), what="only A listens")
        assert await book_a.end(ended_cookie) is not None  # A relays the end; B is not there
        await instance_b.settle(ended, kept)
        assert (ended.close_code, kept.close_code) == (None, None)

        await user.unlock()

        await ended.closed()
        await eventually(lambda: channel_b.is_listening, what="B subscribed again")
        await instance_b.settle(kept)
        assert (ended.close_code, kept.close_code) == (4401, None)
        await book_a.end(kept_cookie)
    finally:
        for kit in kits:
            await kit.close()
        for channel in (channel_a, channel_b):
            await channel.stop()
        await user_client.aclose()
        await user.drop()
