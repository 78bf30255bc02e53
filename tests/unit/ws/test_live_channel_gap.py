"""A gap in the live channel (Redis pub/sub lost and regained) may swallow the end of a browser
session published by another instance: once the channel is back, the gateway asks the session
book about the session of every connection here and closes, with 4401, those whose session is
gone. Connections of live sessions, and those opened without one, stay."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flowra_adapters.keycloak import OidcTokens
from flowra_core.app.actor import Actor
from flowra_core.domain.errors import DomainError, ErrorCode, ServiceUnavailable
from flowra_core.memory.ephemeral import InMemoryEphemeralStore
from flowra_core.memory.live import InMemoryLiveChannel
from flowra_core.ports.live import LiveGapHandler, LiveHandler, LivePush, SessionEndedPush
from flowra_core.testing.clock import FixedClock, SeededTokens
from flowra_entrypoints.http.sessions import SessionBook
from flowra_entrypoints.ws.pushes import SessionStatus
from flowra_entrypoints.ws.testing import MemorySocket
from flowra_entrypoints.ws.testing_kit import GatewayKit, KitFactory


class InterruptibleLiveChannel:
    """The live channel as this instance sees it: while `down`, pushes published by anyone are
    lost here (as pub/sub loses them while disconnected); `resume()` brings the feed back and
    reports the gap."""

    def __init__(self) -> None:
        self.inner = InMemoryLiveChannel()
        self.down = False
        self._gap_handlers: list[LiveGapHandler] = []

    async def publish(self, push: LivePush) -> None:
        await self.inner.publish(push)

    def listen(self, handler: LiveHandler) -> None:
        async def unless_down(push: LivePush) -> None:
            if not self.down:
                await handler(push)

        self.inner.listen(unless_down)

    def on_gap(self, handler: LiveGapHandler) -> None:
        self._gap_handlers.append(handler)

    async def resume(self) -> None:
        self.down = False
        for handler in self._gap_handlers:
            await handler()


class RefusingIdp:
    async def refresh(self, refresh_token: str) -> OidcTokens:
        raise DomainError(ErrorCode.INVALID_REFRESH_TOKEN, "Session not active")


class UnreachableSessions:
    """A session store whose Redis is away."""

    async def is_active(self, session_id: str) -> bool:
        raise ServiceUnavailable("redis", "connection refused")


def idp_tokens() -> OidcTokens:
    return OidcTokens(
        access_token="at-1",
        refresh_token="rt-1",
        token_type="Bearer",
        expires_in=300,
        refresh_expires_in=1800,
        id_token=None,
    )


@dataclass
class Setup:
    env: GatewayKit
    channel: InterruptibleLiveChannel
    book: SessionBook
    mia: Actor


async def setup_with(make_env: KitFactory, sessions: SessionStatus | None = None) -> Setup:
    clock = FixedClock()
    book = SessionBook(
        store=InMemoryEphemeralStore(clock),
        tokens=SeededTokens(11),
        clock=clock,
        refresher=RefusingIdp(),
        secret="live-channel-gap-secret-0123456789abcdef",
        max_lifetime=3600,
    )
    channel = InterruptibleLiveChannel()
    env = await make_env(live=channel, sessions=sessions or book)
    return Setup(env, channel, book, await env.tc.user("mia"))


@pytest.fixture
async def setup(make_env: KitFactory) -> Setup:
    return await setup_with(make_env)


async def open_with_ticket(setup: Setup, session_id: str | None) -> MemorySocket:
    issued = await setup.env.tickets.issue(setup.mia.user_id, session_id=session_id)
    socket = setup.env.open(MemorySocket(query={"ticket": issued.ticket}))
    await socket.frame("connected")
    return socket


async def logged_in(book: SessionBook) -> tuple[str, str]:
    """A new session: its cookie value and its id."""
    cookie = await book.open(idp_tokens())
    session_id = book.session_id(cookie)
    assert session_id is not None
    return cookie, session_id


async def test_an_end_lost_in_the_gap_closes_the_sessions_connections_once_back(
    setup: Setup,
) -> None:
    env, book = setup.env, setup.book
    ended_cookie, ended_id = await logged_in(book)
    _, kept_id = await logged_in(book)
    phone = await open_with_ticket(setup, ended_id)
    laptop = await open_with_ticket(setup, ended_id)
    other_browser = await open_with_ticket(setup, kept_id)
    without_session = await open_with_ticket(setup, None)
    setup.channel.down = True

    # Another instance ends the session and relays it; this instance does not hear it.
    assert await book.end(ended_cookie) is not None
    await setup.channel.publish(SessionEndedPush(session_id=ended_id))
    await env.settle(phone, laptop)
    assert (phone.close_code, laptop.close_code) == (None, None)

    await setup.channel.resume()

    await phone.closed()
    await laptop.closed()
    assert (phone.close_code, laptop.close_code) == (4401, 4401)
    await env.settle(other_browser, without_session)
    assert (other_browser.close_code, without_session.close_code) == (None, None)


async def test_without_a_gap_the_sessions_are_not_asked(setup: Setup) -> None:
    env, book = setup.env, setup.book
    cookie, session_id = await logged_in(book)
    socket = await open_with_ticket(setup, session_id)

    # The end was never relayed (no listener): only a gap makes the gateway look.
    await book.end(cookie)

    await env.settle(socket)
    assert socket.close_code is None
    await setup.channel.resume()
    await socket.closed()
    assert socket.close_code == 4401


async def test_an_unreachable_session_store_leaves_the_connections_open(
    make_env: KitFactory,
) -> None:
    setup = await setup_with(make_env, UnreachableSessions())
    socket = await open_with_ticket(setup, "session-1")

    await setup.channel.resume()

    await setup.env.settle(socket)
    assert socket.close_code is None
    await setup.channel.publish(SessionEndedPush(session_id="session-1"))
    await socket.closed()
    assert socket.close_code == 4401
