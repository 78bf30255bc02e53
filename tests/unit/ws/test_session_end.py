"""A connection opened with a ticket of a browser session closes with 4401 when that session ends
(websocket.md §1, §8): on logout, or when the IdP refuses to refresh it; on this instance at
once and on the others through the live channel. Bearer connections and other sessions stay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from dependency_injector import providers
from tests.unit.app_pool import AppBuilder

from flowra_adapters.keycloak import AuthorizationRequest, OidcTokens
from flowra_core.app.actor import Actor
from flowra_core.domain.errors import DomainError, ErrorCode, ServiceUnavailable
from flowra_core.domain.user import UserSource
from flowra_core.ports.identity import IdentityClaims
from flowra_core.ports.live import LiveGapHandler, LiveHandler, LivePush, SessionEndedPush
from flowra_core.testing.clock import FixedClock
from flowra_entrypoints.container import build_container
from flowra_entrypoints.health import not_used
from flowra_entrypoints.identity import IdentitySide, cookie_policy, keycloak_login
from flowra_entrypoints.settings import load_settings
from flowra_entrypoints.ws.frames import CloseCode
from flowra_entrypoints.ws.gateway import WebSocketGateway
from flowra_entrypoints.ws.testing import MemorySocket
from flowra_entrypoints.ws.testing_kit import GatewayKit, KitFactory

BASE_URL = "http://flowra.test"
TRUSTED = {"Origin": BASE_URL}
CONFIG = f"""
log: {{level: error, format: text}}
server: {{public_url: "{BASE_URL}"}}
auth: {{provider: keycloak, jwt_secret: "session-end-secret-session-end-secret-0123"}}
"""


async def open_with_ticket(env: GatewayKit, actor: Actor, session_id: str | None) -> MemorySocket:
    issued = await env.tickets.issue(actor.user_id, session_id=session_id)
    socket = env.open(MemorySocket(query={"ticket": issued.ticket}))
    await socket.frame("connected")
    return socket


class UnreachableLiveChannel:
    """A live channel whose Redis is away: nothing is relayed."""

    def listen(self, handler: LiveHandler) -> None:
        return None

    def on_gap(self, handler: LiveGapHandler) -> None:
        return None

    async def publish(self, push: LivePush) -> None:
        raise ServiceUnavailable("redis", "connection refused")


class TestGateway:
    async def test_the_sessions_connections_close_with_4401_and_no_others(
        self, env: GatewayKit
    ) -> None:
        mia = await env.tc.user("mia")
        env.tokens.claims["mia-token"] = IdentityClaims(
            external_id="local:mia",
            username="mia",
            email="mia@flowra.local",
            display_name="Mia",
            is_system_admin=False,
            source=UserSource.DEV,
        )
        phone = await open_with_ticket(env, mia, "session-1")
        laptop = await open_with_ticket(env, mia, "session-1")
        other_browser = await open_with_ticket(env, mia, "session-2")
        native = env.open(MemorySocket(headers={"authorization": "Bearer mia-token"}))
        await native.frame("connected")

        await env.gateway.session_ended("session-1")

        await phone.closed()
        await laptop.closed()
        assert (phone.close_code, laptop.close_code) == (4401, CloseCode.SESSION_ENDED)
        await env.settle(other_browser, native)
        assert other_browser.close_code is None
        assert native.close_code is None

    async def test_the_other_instances_are_told_through_the_live_channel(
        self, env: GatewayKit
    ) -> None:
        relayed: list[LivePush] = []

        async def record(push: LivePush) -> None:
            relayed.append(push)

        env.live.listen(record)

        await env.gateway.session_ended("session-1")

        assert relayed == [SessionEndedPush(session_id="session-1")]

    async def test_this_instance_closes_them_even_when_the_live_channel_is_down(
        self, make_env: KitFactory
    ) -> None:
        env = await make_env(live=UnreachableLiveChannel())
        mia = await env.tc.user("mia")
        socket = await open_with_ticket(env, mia, "session-1")

        await env.gateway.session_ended("session-1")

        await socket.closed()
        assert socket.close_code == 4401

    async def test_an_end_announced_by_another_instance_closes_the_connection(
        self, env: GatewayKit
    ) -> None:
        mia = await env.tc.user("mia")
        socket = await open_with_ticket(env, mia, "session-1")

        await env.live.publish(SessionEndedPush(session_id="session-1"))

        await socket.closed()
        assert socket.close_code == 4401


@dataclass
class FakeIdp:
    """Keycloak's OIDC side in memory: a code `code-<username>` logs that user in."""

    clock: FixedClock
    refuses_refresh: bool = False
    access: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    requests: dict[str, AuthorizationRequest] = field(default_factory=dict)

    def authorization_request(self, redirect_uri: str) -> AuthorizationRequest:
        n = len(self.requests)
        request = AuthorizationRequest(
            url=f"https://idp.test/auth?state=state-{n}",
            state=f"state-{n}",
            nonce=f"nonce-{n}",
            code_verifier=f"verifier-{n}",
            redirect_uri=redirect_uri,
        )
        self.requests[request.state] = request
        return request

    async def exchange_code(
        self,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        *,
        nonce: str | None = None,
    ) -> OidcTokens:
        return self._issue(code.removeprefix("code-"))

    async def refresh(self, refresh_token: str) -> OidcTokens:
        if self.refuses_refresh:
            raise DomainError(ErrorCode.INVALID_REFRESH_TOKEN, "Session not active")
        return self._issue(refresh_token.removeprefix("rt-"))

    async def logout(self, refresh_token: str) -> None:
        return None

    async def verify(self, token: str) -> IdentityClaims:
        username, expires_at = self.access[token]
        if expires_at <= self.clock.now():
            raise DomainError(ErrorCode.TOKEN_EXPIRED, "The access token has expired")
        return IdentityClaims(
            external_id=f"kc-{username}",
            username=username,
            email=None,
            display_name=None,
            is_system_admin=False,
            source=UserSource.LOGIN,
        )

    def _issue(self, username: str) -> OidcTokens:
        token = f"at-{len(self.access)}"
        self.access[token] = (username, self.clock.now() + timedelta(minutes=5))
        return OidcTokens(
            access_token=token,
            refresh_token=f"rt-{username}",
            token_type="Bearer",
            expires_in=300,
            refresh_expires_in=1800,
            id_token=None,
        )


@dataclass
class Browser:
    http: httpx.AsyncClient
    idp: FakeIdp
    clock: FixedClock
    gateway: WebSocketGateway
    served: list[asyncio.Task[None]] = field(default_factory=list)

    async def log_in(self, username: str) -> None:
        started = await self.http.get("/api/v1/auth/login", params={"redirect_to": "/"})
        state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
        callback = await self.http.get(
            "/api/v1/auth/callback", params={"code": f"code-{username}", "state": state}
        )
        assert callback.status_code == 302, callback.text

    async def websocket(self) -> MemorySocket:
        """A WebSocket opened with a ticket fetched with the session cookie."""
        response = await self.http.post("/api/v1/ws/ticket", headers=TRUSTED)
        assert response.status_code == 201, response.text
        socket = MemorySocket(query={"ticket": response.json()["ticket"]})
        self.served.append(asyncio.get_running_loop().create_task(self.gateway.serve(socket)))
        await socket.frame("connected")
        return socket


@pytest.fixture
async def browser(tmp_path: Path, build_app: AppBuilder) -> AsyncIterator[Browser]:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG)
    loaded = load_settings(str(path), environ={})
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    container = build_container(loaded.settings, loaded.explicit_keys)
    container.clock.override(providers.Object(clock))
    idp = FakeIdp(clock)
    container.identity.override(
        providers.Object(
            IdentitySide(
                kind="keycloak",
                verifier=idp,
                health=not_used("keycloak"),
                cookies=cookie_policy(loaded.settings),
                keycloak=keycloak_login(
                    loaded.settings,
                    idp,
                    clock=clock,
                    tokens=container.tokens(),
                    ephemeral=container.ephemeral(),
                ),
            )
        )
    )
    app = build_app(container)
    gateway: WebSocketGateway = app.litestar.state.ws_gateway
    gateway.start()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        browser = Browser(http, idp, clock, gateway)
        yield browser
    await gateway.stop()
    await asyncio.gather(*browser.served)
    container.shutdown_resources()


class TestBrowserSession:
    async def test_logout_closes_the_sessions_websocket_with_4401(self, browser: Browser) -> None:
        await browser.log_in("mia")
        socket = await browser.websocket()

        response = await browser.http.post("/api/v1/auth/logout", headers=TRUSTED)

        assert response.status_code == 204
        await socket.closed()
        assert socket.close_code == 4401

    async def test_a_refresh_the_idp_refuses_ends_the_session_and_its_websocket(
        self, browser: Browser
    ) -> None:
        await browser.log_in("mia")
        socket = await browser.websocket()
        browser.idp.refuses_refresh = True
        browser.clock.advance(timedelta(minutes=6))

        response = await browser.http.get("/api/v1/auth/me")

        assert response.status_code == 401
        await socket.closed()
        assert socket.close_code == 4401

    async def test_a_new_login_ends_the_previous_session_of_the_browser(
        self, browser: Browser
    ) -> None:
        await browser.log_in("mia")
        first = await browser.websocket()

        await browser.log_in("mia")
        second = await browser.websocket()

        await first.closed()
        assert first.close_code == 4401
        await second.roundtrip()
        assert second.close_code is None
