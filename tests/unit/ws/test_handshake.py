"""The handshake (websocket.md §1): who may open a connection, and the HTTP refusals."""

from __future__ import annotations

from datetime import timedelta

from flowra_core.app.actor import Actor
from flowra_core.app.users.service import user_kind
from flowra_core.domain.user.commands import deactivate_user
from flowra_core.domain.user.events import DeactivationReason, UserSource
from flowra_core.ports.identity import IdentityClaims
from flowra_entrypoints.ws.limits import GatewayLimits
from flowra_entrypoints.ws.testing import APP_ORIGIN, EXPIRED_TOKEN, PUBLIC_URL, Frame, MemorySocket
from flowra_entrypoints.ws.testing_kit import GatewayKit, KitFactory


async def refused(env: GatewayKit, socket: MemorySocket) -> tuple[int, Frame, dict[str, str]]:
    env.open(socket)
    await socket.until(lambda: socket.refusal is not None)
    assert socket.refusal is not None
    assert not socket.accepted
    return socket.refusal


async def deactivate(env: GatewayKit, actor: Actor) -> None:
    await env.tc.core.write.execute(
        user_kind(env.tc.adapters.users),
        actor.user_id,
        lambda user: (
            deactivate_user(user, reason=DeactivationReason.IDP_DISABLED)
            if user is not None
            else []
        ),
        actor_id=None,
    )


class TestTicket:
    async def test_sends_the_connected_frame_first(self, env: GatewayKit) -> None:
        alice = await env.tc.user("alice")
        socket = await env.connect(alice)
        connected = socket.frames[0]
        assert connected["type"] == "connected"
        assert connected["user_id"] == alice.user_id
        assert connected["heartbeat_interval"] == 30
        assert connected["connection_id"]
        assert connected["server_time"] == "2026-01-28T10:30:00.000Z"

    async def test_is_single_use(self, env: GatewayKit) -> None:
        alice = await env.tc.user("alice")
        issued = await env.tickets.issue(alice.user_id)
        await env.open(MemorySocket(query={"ticket": issued.ticket})).frame("connected")
        status, problem, headers = await refused(env, MemorySocket(query={"ticket": issued.ticket}))
        assert status == 401
        assert problem["code"] == "UNAUTHENTICATED"
        assert headers["www-authenticate"] == "Bearer"

    async def test_expires_after_its_ttl(self, env: GatewayKit) -> None:
        alice = await env.tc.user("alice")
        issued = await env.tickets.issue(alice.user_id)
        env.tc.clock.advance(timedelta(seconds=31))
        status, problem, _ = await refused(env, MemorySocket(query={"ticket": issued.ticket}))
        assert (status, problem["code"]) == (401, "UNAUTHENTICATED")

    async def test_an_unknown_ticket_is_refused(self, env: GatewayKit) -> None:
        status, problem, _ = await refused(env, MemorySocket(query={"ticket": "made-up"}))
        assert (status, problem["code"]) == (401, "UNAUTHENTICATED")

    async def test_a_deactivated_user_is_refused(self, env: GatewayKit) -> None:
        alice = await env.tc.user("alice")
        issued = await env.tickets.issue(alice.user_id)
        await deactivate(env, alice)
        status, problem, _ = await refused(env, MemorySocket(query={"ticket": issued.ticket}))
        assert (status, problem["code"]) == (403, "USER_INACTIVE")


class TestBearer:
    def claims(self, username: str) -> IdentityClaims:
        return IdentityClaims(
            external_id=f"local:{username}",
            username=username,
            email=f"{username}@flowra.local",
            display_name=None,
            is_system_admin=False,
            source=UserSource.DEV,
        )

    async def test_a_valid_token_opens_the_connection(self, env: GatewayKit) -> None:
        env.tokens.claims["tok-bob"] = self.claims("bob")
        socket = env.open(MemorySocket(headers={"authorization": "Bearer tok-bob"}))
        connected = await socket.frame("connected")
        bob = await env.tc.user("bob")
        assert connected["user_id"] == bob.user_id

    async def test_an_expired_token_is_refused_as_expired(self, env: GatewayKit) -> None:
        socket = MemorySocket(headers={"authorization": f"Bearer {EXPIRED_TOKEN}"})
        status, problem, _ = await refused(env, socket)
        assert (status, problem["code"]) == (401, "TOKEN_EXPIRED")

    async def test_a_non_bearer_header_is_refused(self, env: GatewayKit) -> None:
        socket = MemorySocket(headers={"authorization": "Basic Ym9iOnB3"})
        status, problem, _ = await refused(env, socket)
        assert (status, problem["code"]) == (401, "UNAUTHENTICATED")

    async def test_bearer_wins_and_the_ticket_is_consumed_anyway(self, env: GatewayKit) -> None:
        env.tokens.claims["tok-bob"] = self.claims("bob")
        alice = await env.tc.user("alice")
        issued = await env.tickets.issue(alice.user_id)
        socket = MemorySocket(
            headers={"authorization": "Bearer tok-bob"}, query={"ticket": issued.ticket}
        )
        connected = await env.open(socket).frame("connected")
        assert connected["user_id"] != alice.user_id
        assert await env.tickets.redeem(issued.ticket) is None


class TestRefusal:
    async def test_no_credentials_is_a_401_problem(self, env: GatewayKit) -> None:
        status, problem, headers = await refused(env, MemorySocket(query={"token": "sneaky"}))
        assert status == 401
        assert headers["content-type"] == "application/problem+json"
        assert headers["x-request-id"] == "r1"
        assert problem == {
            "type": "urn:flowra:problem:UNAUTHENTICATED",
            "title": "Unauthenticated",
            "status": 401,
            "detail": problem["detail"],
            "code": "UNAUTHENTICATED",
            "instance": "/api/v1/ws",
            "request_id": "r1",
        }

    async def test_an_untrusted_origin_is_forbidden(self, env: GatewayKit) -> None:
        alice = await env.tc.user("alice")
        issued = await env.tickets.issue(alice.user_id)
        socket = MemorySocket(
            query={"ticket": issued.ticket}, headers={"origin": "https://evil.example"}
        )
        status, problem, _ = await refused(env, socket)
        assert (status, problem["code"]) == (403, "FORBIDDEN")
        assert await env.tickets.redeem(issued.ticket) is None  # consumed all the same

    async def test_the_public_url_and_cors_origins_are_trusted(self, env: GatewayKit) -> None:
        alice = await env.tc.user("alice")
        for origin in (PUBLIC_URL, APP_ORIGIN, APP_ORIGIN.upper() + "/"):
            await env.connect(alice, origin=origin)

    async def test_more_connections_than_allowed_per_user_are_rate_limited(
        self, make_env: KitFactory
    ) -> None:
        env = await make_env(limits=GatewayLimits(max_connections_per_user=2))
        alice = await env.tc.user("alice")
        first = await env.connect(alice)
        await env.connect(alice)
        issued = await env.tickets.issue(alice.user_id)
        status, problem, _ = await refused(env, MemorySocket(query={"ticket": issued.ticket}))
        assert (status, problem["code"]) == (429, "RATE_LIMITED")
        await env.hang_up(first)
        await env.connect(alice)  # a slot is free again once one closes
        bob = await env.tc.user("bob")
        await env.connect(bob)  # the limit is per user

    async def test_no_upgrade_is_accepted_once_shutting_down(self, env: GatewayKit) -> None:
        alice = await env.tc.user("alice")
        issued = await env.tickets.issue(alice.user_id)
        await env.gateway.stop()
        status, problem, headers = await refused(env, MemorySocket(query={"ticket": issued.ticket}))
        assert (status, problem["code"]) == (503, "SERVICE_UNAVAILABLE")
        assert headers["retry-after"] == "5"
