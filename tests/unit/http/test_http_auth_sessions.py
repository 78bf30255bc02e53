"""Authentication over HTTP (http-api.md §2 and "Auth" routes): the browser login with the
`flowra_oauth` and `flowra_session` cookies, server-side sessions with transparent refresh,
CSRF, Bearer precedence, code exchange, refresh and logout for both providers, and which routes
each provider offers. Keycloak is played by a fake OIDC client + verifier on the app's clock.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from dependency_injector import providers
from tests.unit.app_pool import AppBuilder

from flowra_adapters.keycloak import AuthorizationRequest, KeycloakTokenVerifier, OidcTokens
from flowra_adapters.system import RandomTokens
from flowra_core.app.users.service import user_kind
from flowra_core.domain.errors import DomainError, ErrorCode, ServiceUnavailable
from flowra_core.domain.user import DeactivationReason, UserSource, deactivate_user
from flowra_core.memory.ephemeral import InMemoryEphemeralStore
from flowra_core.ports.identity import IdentityClaims
from flowra_core.testing.clock import FixedClock
from flowra_entrypoints.container import Container, build_container
from flowra_entrypoints.health import not_used
from flowra_entrypoints.http.sessions import SESSION_KEY_PREFIX
from flowra_entrypoints.identity import (
    CookiePolicy,
    IdentitySide,
    build_identity,
    cookie_policy,
    keycloak_health,
    keycloak_login,
)
from flowra_entrypoints.settings import Settings, load_settings
from flowra_entrypoints.settings.model import AuthSettings

BASE_URL = "http://flowra.test"
IDP_DISABLED = DeactivationReason.IDP_DISABLED
APP_ORIGIN = "https://app.flowra.test"
SECRET = "unit-test-secret-unit-test-secret-0123456789"
CONFIG = f"""
log: {{level: error, format: text}}
server: {{public_url: "{BASE_URL}"}}
cors: {{allowed_origins: ["{APP_ORIGIN}"]}}
auth: {{provider: keycloak, jwt_secret: "{SECRET}", refresh_token_ttl: 1h}}
"""
LOGIN = "/api/v1/auth/login"
CALLBACK = "/api/v1/auth/callback"
ME = "/api/v1/auth/me"
WORKSPACES = "/api/v1/workspaces"
TRUSTED = {"Origin": BASE_URL}


def refused(response: httpx.Response, status: int, code: str) -> None:
    """Assert a problem response with this status and code."""
    assert (response.status_code, response.json()["code"]) == (status, code), response.text


@dataclass
class FakeIdp:
    """Keycloak's OIDC endpoints and token verification, in memory on the app's clock."""

    clock: FixedClock
    expires_in: int = 300
    refresh_expires_in: int = 1800
    unreachable: bool = False
    requests: dict[str, AuthorizationRequest] = field(default_factory=dict)
    codes: dict[str, tuple[str, AuthorizationRequest]] = field(default_factory=dict)
    access: dict[str, tuple[str, float]] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    refreshed: list[str] = field(default_factory=list)
    logged_out: list[str] = field(default_factory=list)
    _serial: itertools.count[int] = field(default_factory=itertools.count)

    def authorization_request(self, redirect_uri: str) -> AuthorizationRequest:
        n = next(self._serial)
        query = urlencode({"state": f"state-{n}", "redirect_uri": redirect_uri})
        request = AuthorizationRequest(
            url=f"https://idp.test/auth?{query}",
            state=f"state-{n}",
            nonce=f"nonce-{n}",
            code_verifier=f"verifier-{n}",
            redirect_uri=redirect_uri,
        )
        self.requests[request.state] = request
        return request

    def sign_in(self, state: str, username: str) -> str:
        """The user logs in at the IdP, which hands out a code for the request of `state`."""
        code = f"code-{next(self._serial)}"
        self.codes[code] = (username, self.requests[state])
        return code

    def issue(self, username: str) -> OidcTokens:
        n = next(self._serial)
        self.access[f"at-{n}"] = (username, self.clock.now().timestamp() + self.expires_in)
        self.refresh_tokens[f"rt-{n}"] = username
        return OidcTokens(
            access_token=f"at-{n}",
            refresh_token=f"rt-{n}",
            token_type="Bearer",
            expires_in=self.expires_in,
            refresh_expires_in=self.refresh_expires_in,
            id_token=None,
        )

    async def exchange_code(
        self,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        *,
        nonce: str | None = None,
    ) -> OidcTokens:
        self._answer()
        username, request = self.codes.pop(code, ("", None))
        if (
            request is None
            or redirect_uri != request.redirect_uri
            or code_verifier not in (None, request.code_verifier)
            or nonce not in (None, request.nonce)
        ):
            raise DomainError(ErrorCode.LOGIN_FAILED, "The login failed (invalid_grant)")
        return self.issue(username)

    async def refresh(self, refresh_token: str) -> OidcTokens:
        self._answer()
        username = self.refresh_tokens.pop(refresh_token, None)
        if username is None:
            raise DomainError(ErrorCode.INVALID_REFRESH_TOKEN, "The refresh token is not valid")
        self.refreshed.append(refresh_token)
        return self.issue(username)

    async def logout(self, refresh_token: str) -> None:
        self._answer()
        self.refresh_tokens.pop(refresh_token, None)
        self.logged_out.append(refresh_token)

    async def verify(self, token: str) -> IdentityClaims:
        username, expires_at = self.access.get(token, ("", 0.0))
        if not username:
            raise DomainError(ErrorCode.UNAUTHENTICATED, "The access token is not valid")
        if expires_at <= self.clock.now().timestamp():
            raise DomainError(ErrorCode.TOKEN_EXPIRED, "The access token has expired")
        return IdentityClaims(
            external_id=f"kc-{username}",
            username=username,
            email=f"{username}@example.com",
            display_name=username.title(),
            is_system_admin=False,
            source=UserSource.LOGIN,
        )

    def _answer(self) -> None:
        if self.unreachable:
            raise ServiceUnavailable("keycloak", "connection refused")


@dataclass
class KeycloakApp:
    client: httpx.AsyncClient
    idp: FakeIdp
    container: Container
    identity: IdentitySide

    async def browser_login(self, username: str, redirect_to: str = "/") -> httpx.Response:
        """The whole browser flow; returns the callback's response (cookies now in the jar)."""
        started = await self.client.get(LOGIN, params={"redirect_to": redirect_to})
        assert started.status_code == 302, started.text
        state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
        code = self.idp.sign_in(state, username)
        return await self.client.get(CALLBACK, params={"code": code, "state": state})

    async def bearer(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.idp.issue(username).access_token}"}

    def session_id(self) -> str:
        cookie = self.client.cookies.get("flowra_session")
        assert cookie is not None
        return cookie.split(".")[0]


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name, lower-cased for attribute checks."""
    found: dict[str, str] = {}
    for header in response.headers.get_list("set-cookie"):
        found[header.split("=", 1)[0]] = header.lower()
    return found


AppFactory = Callable[..., Awaitable[KeycloakApp]]


@pytest.fixture
async def keycloak_apps(
    tmp_path: Path, clock: FixedClock, build_app: AppBuilder
) -> AsyncIterator[AppFactory]:
    built: list[KeycloakApp] = []

    async def build(config: str = CONFIG, cookies: CookiePolicy | None = None) -> KeycloakApp:
        path = tmp_path / f"keycloak-{len(built)}.yaml"
        path.write_text(config)
        loaded = load_settings(str(path), environ={})
        container = build_container(loaded.settings, loaded.explicit_keys)
        container.clock.override(providers.Object(clock))
        idp = FakeIdp(clock)
        login = keycloak_login(
            loaded.settings,
            idp,
            clock=clock,
            tokens=container.tokens(),
            ephemeral=container.ephemeral(),
        )
        identity = IdentitySide(
            kind="keycloak",
            verifier=idp,
            health=not_used("keycloak"),
            cookies=cookies or cookie_policy(loaded.settings),
            keycloak=login,
        )
        container.identity.override(providers.Object(identity))
        app = build_app(container)
        await app.litestar.state.core.users.ensure_bot()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
        built.append(KeycloakApp(client, idp, container, identity))
        return built[-1]

    yield build
    for app in built:
        await app.client.aclose()
        app.container.shutdown_resources()


@pytest.fixture
async def kc(keycloak_apps: AppFactory) -> KeycloakApp:
    return await keycloak_apps()


class TestRoutesPerProvider:
    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("GET", LOGIN, None),
            ("GET", f"{CALLBACK}?code=c&state=s", None),
            ("POST", "/api/v1/auth/token", {"unexpected": 1}),
        ],
    )
    async def test_keycloak_routes_are_not_found_with_local(
        self, client: httpx.AsyncClient, method: str, path: str, body: object
    ) -> None:
        response = await client.request(method, path, json=body)

        refused(response, 404, "NOT_FOUND")

    async def test_dev_login_is_not_found_with_keycloak(self, kc: KeycloakApp) -> None:
        response = await kc.client.post("/api/v1/auth/dev/token", json={"bad": True})

        refused(response, 404, "NOT_FOUND")

    async def test_me_names_the_provider(
        self, client: httpx.AsyncClient, login: Callable[[str], Awaitable[dict[str, str]]]
    ) -> None:
        local = await client.get(ME, headers=await login("lena"))

        assert local.json()["auth_provider"] == "local"

    async def test_me_names_keycloak(self, kc: KeycloakApp) -> None:
        response = await kc.client.get(ME, headers=await kc.bearer("kira"))

        assert (response.json()["username"], response.json()["auth_provider"]) == (
            "kira",
            "keycloak",
        )


class TestLogin:
    async def test_redirects_to_the_idp_keeping_the_login_in_a_cookie(
        self, kc: KeycloakApp
    ) -> None:
        response = await kc.client.get(LOGIN, params={"redirect_to": "/chats/1?tab=files"})

        assert response.status_code == 302
        assert response.headers["location"].startswith("https://idp.test/auth?")
        pending = set_cookies(response)["flowra_oauth"]
        for attribute in ("httponly", "samesite=lax", "max-age=600", "path=/api/v1/auth"):
            assert attribute in pending
        assert "secure" not in pending

    @pytest.mark.parametrize(
        "target", ["https://evil.example/", "//evil.example", "evil", "/\\evil.example", ""]
    )
    async def test_a_target_off_this_site_is_refused(self, kc: KeycloakApp, target: str) -> None:
        response = await kc.client.get(LOGIN, params={"redirect_to": target})

        refused(response, 422, "VALIDATION_ERROR")
        assert response.json()["errors"][0]["field"] == "redirect_to"

    async def test_cookies_are_secure_when_the_policy_says_so(
        self, keycloak_apps: AppFactory
    ) -> None:
        app = await keycloak_apps(cookies=CookiePolicy.of(secure=True, trusted_urls=[BASE_URL]))

        response = await app.client.get(LOGIN)

        assert "secure" in set_cookies(response)["flowra_oauth"]

    def test_production_makes_cookies_secure(self) -> None:
        assert cookie_policy(Settings(env="production")).secure
        assert not cookie_policy(Settings(env="staging")).secure


class TestCallback:
    async def test_login_sets_the_session_cookie_and_goes_back(self, kc: KeycloakApp) -> None:
        response = await kc.browser_login("alice", redirect_to="/chats/7")

        assert (response.status_code, response.headers["location"]) == (302, "/chats/7")
        cookies = set_cookies(response)
        for attribute in ("httponly", "samesite=lax", "path=/;", "max-age=3600"):
            assert attribute in cookies["flowra_session"] + ";"
        assert "max-age=0" in cookies["flowra_oauth"]
        me = await kc.client.get(ME)
        assert (me.status_code, me.json()["username"]) == (200, "alice")

    async def test_the_session_is_kept_server_side(self, kc: KeycloakApp) -> None:
        await kc.browser_login("alice")

        stored = await kc.container.ephemeral().get(SESSION_KEY_PREFIX + kc.session_id())

        assert stored is not None
        assert b"at-" in stored  # the IdP tokens, never the cookie

    async def test_another_state_is_refused(self, kc: KeycloakApp) -> None:
        started = await kc.client.get(LOGIN)
        state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
        code = kc.idp.sign_in(state, "alice")

        response = await kc.client.get(CALLBACK, params={"code": code, "state": "forged"})

        refused(response, 400, "INVALID_OAUTH_STATE")

    async def test_without_the_login_cookie_it_is_refused(self, kc: KeycloakApp) -> None:
        response = await kc.client.get(CALLBACK, params={"code": "c", "state": "state-0"})

        refused(response, 400, "INVALID_OAUTH_STATE")

    async def test_a_forged_login_cookie_is_refused(self, kc: KeycloakApp) -> None:
        forged = jwt.encode(
            {"purpose": "flowra-oauth-login", "state": "s", "nonce": "n", "code_verifier": "v"}
            | {"redirect_to": "/", "exp": 4102444800},
            "another-secret-another-secret-another-secret",
            algorithm="HS256",
        )
        kc.client.cookies.set("flowra_oauth", forged, domain="flowra.test")

        response = await kc.client.get(CALLBACK, params={"code": "c", "state": "s"})

        refused(response, 400, "INVALID_OAUTH_STATE")

    async def test_a_login_older_than_ten_minutes_is_refused(
        self, kc: KeycloakApp, clock: FixedClock
    ) -> None:
        started = await kc.client.get(LOGIN)
        state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
        code = kc.idp.sign_in(state, "alice")
        clock.advance(timedelta(minutes=11))

        response = await kc.client.get(CALLBACK, params={"code": code, "state": state})

        refused(response, 400, "INVALID_OAUTH_STATE")

    async def test_an_idp_error_is_login_failed(self, kc: KeycloakApp) -> None:
        started = await kc.client.get(LOGIN)
        state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]

        response = await kc.client.get(CALLBACK, params={"error": "access_denied", "state": state})

        refused(response, 401, "LOGIN_FAILED")

    async def test_a_code_the_idp_refuses_is_login_failed(self, kc: KeycloakApp) -> None:
        started = await kc.client.get(LOGIN)
        state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]

        response = await kc.client.get(CALLBACK, params={"code": "made-up", "state": state})

        refused(response, 401, "LOGIN_FAILED")
        assert kc.client.cookies.get("flowra_session") is None


class TestSessionLifetime:
    async def test_an_expired_access_token_is_refreshed_on_the_way(
        self, kc: KeycloakApp, clock: FixedClock
    ) -> None:
        await kc.browser_login("alice")
        clock.advance(timedelta(minutes=6))

        first = await kc.client.get(ME)
        second = await kc.client.get(ME)

        assert (first.status_code, second.status_code) == (200, 200)
        assert len(kc.idp.refreshed) == 1

    async def test_a_refused_refresh_ends_the_session(
        self, kc: KeycloakApp, clock: FixedClock
    ) -> None:
        await kc.browser_login("alice")
        kc.idp.refresh_tokens.clear()  # the IdP session was ended elsewhere
        clock.advance(timedelta(minutes=6))

        response = await kc.client.get(ME)

        refused(response, 401, "UNAUTHENTICATED")
        assert await kc.container.ephemeral().get(SESSION_KEY_PREFIX + kc.session_id()) is None

    async def test_an_unreachable_idp_keeps_the_session(
        self, kc: KeycloakApp, clock: FixedClock
    ) -> None:
        await kc.browser_login("alice")
        clock.advance(timedelta(minutes=6))
        kc.idp.unreachable = True

        during = await kc.client.get(ME)
        kc.idp.unreachable = False
        after = await kc.client.get(ME)

        refused(during, 503, "SERVICE_UNAVAILABLE")
        assert after.status_code == 200

    async def test_the_session_ends_with_the_idp_refresh_token(
        self, kc: KeycloakApp, clock: FixedClock
    ) -> None:
        kc.idp.refresh_expires_in = 600
        await kc.browser_login("alice")
        clock.advance(timedelta(minutes=11))

        refused(await kc.client.get(ME), 401, "UNAUTHENTICATED")

    async def test_the_session_never_outlives_the_refresh_token_ttl(
        self, kc: KeycloakApp, clock: FixedClock
    ) -> None:
        kc.idp.refresh_expires_in = 0  # no expiry of its own (offline token)
        await kc.browser_login("alice")
        for _ in range(11):  # active all along: refreshed every 5 minutes, up to 55 minutes
            clock.advance(timedelta(minutes=5))
            assert (await kc.client.get(ME)).status_code == 200

        clock.advance(timedelta(minutes=6))

        refused(await kc.client.get(ME), 401, "UNAUTHENTICATED")

    async def test_a_tampered_session_cookie_is_unauthenticated(self, kc: KeycloakApp) -> None:
        await kc.browser_login("alice")
        kc.client.cookies.set("flowra_session", f"{kc.session_id()}.forged", domain="flowra.test")

        refused(await kc.client.get(ME), 401, "UNAUTHENTICATED")


class TestCsrf:
    async def test_a_cookie_write_without_origin_is_rejected(self, kc: KeycloakApp) -> None:
        await kc.browser_login("alice")

        response = await kc.client.post(WORKSPACES, json={"name": "Acme"})

        refused(response, 403, "CSRF_REJECTED")

    @pytest.mark.parametrize(
        "headers",
        [
            {"Origin": BASE_URL},
            {"Origin": "HTTP://FLOWRA.TEST:80"},
            {"Origin": APP_ORIGIN},
            {"Referer": f"{BASE_URL}/chats/1"},
        ],
    )
    async def test_a_cookie_write_from_a_trusted_origin_passes(
        self, kc: KeycloakApp, headers: dict[str, str]
    ) -> None:
        await kc.browser_login("alice")

        response = await kc.client.post(WORKSPACES, json={"name": "Acme"}, headers=headers)

        assert response.status_code == 201, response.text

    @pytest.mark.parametrize(
        "headers",
        [
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Origin": "https://flowra.test"},
            {"Referer": "https://evil.example/flowra.test"},
            {"Origin": "https://evil.example", "Referer": f"{BASE_URL}/"},
        ],
    )
    async def test_a_cookie_write_from_elsewhere_is_rejected(
        self, kc: KeycloakApp, headers: dict[str, str]
    ) -> None:
        await kc.browser_login("alice")

        response = await kc.client.post(WORKSPACES, json={"name": "Acme"}, headers=headers)

        refused(response, 403, "CSRF_REJECTED")

    async def test_cookie_reads_need_no_origin(self, kc: KeycloakApp) -> None:
        await kc.browser_login("alice")

        assert (await kc.client.get(WORKSPACES)).status_code == 200

    async def test_bearer_writes_are_exempt(self, kc: KeycloakApp) -> None:
        response = await kc.client.post(
            WORKSPACES, json={"name": "Acme"}, headers=await kc.bearer("bob")
        )

        assert response.status_code == 201, response.text


class TestPrecedence:
    async def test_bearer_wins_over_the_cookie(self, kc: KeycloakApp) -> None:
        await kc.browser_login("alice")

        response = await kc.client.get(ME, headers=await kc.bearer("bob"))

        assert response.json()["username"] == "bob"

    async def test_a_bad_bearer_does_not_fall_back_to_the_cookie(self, kc: KeycloakApp) -> None:
        await kc.browser_login("alice")

        response = await kc.client.get(ME, headers={"Authorization": "Bearer forged"})

        refused(response, 401, "UNAUTHENTICATED")
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_an_expired_bearer_is_token_expired(
        self, kc: KeycloakApp, clock: FixedClock
    ) -> None:
        headers = await kc.bearer("bob")
        clock.advance(timedelta(minutes=6))

        refused(await kc.client.get(ME, headers=headers), 401, "TOKEN_EXPIRED")

    async def test_an_inactive_user_is_refused_with_either_credential(
        self, kc: KeycloakApp
    ) -> None:
        await kc.browser_login("alice")
        me = (await kc.client.get(ME)).json()
        core = kc.container.core()
        await core.write.execute(
            user_kind(core.ports.users),
            me["id"],
            lambda user: [] if user is None else deactivate_user(user, reason=IDP_DISABLED),
            actor_id=None,
        )

        by_cookie = await kc.client.get(ME)
        by_bearer = await kc.client.get(ME, headers=await kc.bearer("alice"))

        refused(by_cookie, 403, "USER_INACTIVE")
        refused(by_bearer, 403, "USER_INACTIVE")

    async def test_the_local_provider_ignores_session_cookies(
        self, client: httpx.AsyncClient
    ) -> None:
        client.cookies.set("flowra_session", "anything.at-all", domain="flowra.test")

        refused(await client.get(ME), 401, "UNAUTHENTICATED")


class TestCodeExchange:
    async def test_a_code_becomes_tokens_and_a_user(self, kc: KeycloakApp) -> None:
        request = kc.idp.authorization_request("https://native.example/cb")
        code = kc.idp.sign_in(request.state, "carol")

        response = await kc.client.post(
            "/api/v1/auth/token",
            json={
                "code": code,
                "redirect_uri": "https://native.example/cb",
                "code_verifier": request.code_verifier,
            },
        )

        body = response.json()
        assert response.status_code == 200, response.text
        assert (body["token_type"], body["expires_in"], body["refresh_expires_in"]) == (
            "Bearer",
            300,
            1800,
        )
        assert body["user"]["username"] == "carol"
        me = await kc.client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.json()["id"] == body["user"]["id"]

    async def test_a_refused_code_is_login_failed(self, kc: KeycloakApp) -> None:
        response = await kc.client.post(
            "/api/v1/auth/token", json={"code": "made-up", "redirect_uri": "https://x/cb"}
        )

        refused(response, 401, "LOGIN_FAILED")

    @pytest.mark.parametrize(
        "body",
        [
            {"code": "", "redirect_uri": "https://x/cb"},
            {"redirect_uri": "https://x/cb"},
            {"code": "c", "redirect_uri": "https://x/cb", "extra": 1},
        ],
    )
    async def test_a_malformed_exchange_is_a_validation_error(
        self, kc: KeycloakApp, body: dict[str, Any]
    ) -> None:
        response = await kc.client.post("/api/v1/auth/token", json=body)

        refused(response, 422, "VALIDATION_ERROR")


class TestRefresh:
    async def test_keycloak_refresh_returns_new_tokens(self, kc: KeycloakApp) -> None:
        issued = kc.idp.issue("dora")

        response = await kc.client.post(
            "/api/v1/auth/refresh", json={"refresh_token": issued.refresh_token}
        )

        body = response.json()
        assert response.status_code == 200, response.text
        assert body["access_token"] != issued.access_token
        assert body["user"]["username"] == "dora"
        assert kc.idp.refreshed == [issued.refresh_token]

    async def test_keycloak_refuses_an_unknown_refresh_token(self, kc: KeycloakApp) -> None:
        response = await kc.client.post("/api/v1/auth/refresh", json={"refresh_token": "nope"})

        refused(response, 401, "INVALID_REFRESH_TOKEN")

    async def test_local_refresh_rotates_the_refresh_token(self, client: httpx.AsyncClient) -> None:
        issued = await client.post("/api/v1/auth/dev/token", json={"username": "eve"})
        old = issued.json()["refresh_token"]

        rotated = await client.post("/api/v1/auth/refresh", json={"refresh_token": old})
        replay = await client.post("/api/v1/auth/refresh", json={"refresh_token": old})

        assert rotated.status_code == 200
        assert rotated.json()["refresh_token"] != old
        refused(replay, 401, "INVALID_REFRESH_TOKEN")


class TestLogout:
    async def test_logout_ends_the_session_everywhere(self, kc: KeycloakApp) -> None:
        await kc.browser_login("alice")
        session_id, cookie = kc.session_id(), kc.client.cookies["flowra_session"]
        ended: list[str] = []
        assert kc.identity.keycloak is not None
        kc.identity.keycloak.sessions.on_ended(_record(ended))
        held = next(iter(kc.idp.refresh_tokens))

        response = await kc.client.post("/api/v1/auth/logout", headers=TRUSTED)

        assert response.status_code == 204
        assert "max-age=0" in set_cookies(response)["flowra_session"]
        assert kc.idp.logged_out == [held]
        assert ended == [session_id]
        kc.client.cookies.set("flowra_session", cookie, domain="flowra.test")
        refused(await kc.client.get(ME), 401, "UNAUTHENTICATED")

    async def test_a_cross_site_logout_is_rejected(self, kc: KeycloakApp) -> None:
        await kc.browser_login("alice")

        response = await kc.client.post(
            "/api/v1/auth/logout", headers={"Origin": "https://evil.example"}
        )

        refused(response, 403, "CSRF_REJECTED")
        assert (await kc.client.get(ME)).status_code == 200

    async def test_an_unreachable_idp_does_not_keep_the_browser_logged_in(
        self, kc: KeycloakApp
    ) -> None:
        await kc.browser_login("alice")
        kc.idp.unreachable = True

        response = await kc.client.post("/api/v1/auth/logout", headers=TRUSTED)

        assert response.status_code == 204
        refused(await kc.client.get(ME), 401, "UNAUTHENTICATED")

    async def test_a_bearer_client_revokes_its_refresh_token(self, kc: KeycloakApp) -> None:
        issued = kc.idp.issue("bob")
        headers = {"Authorization": f"Bearer {issued.access_token}"}

        response = await kc.client.post(
            "/api/v1/auth/logout", json={"refresh_token": issued.refresh_token}, headers=headers
        )

        assert response.status_code == 204
        assert kc.idp.logged_out == [issued.refresh_token]

    async def test_local_logout_revokes_the_refresh_token(self, client: httpx.AsyncClient) -> None:
        issued = (await client.post("/api/v1/auth/dev/token", json={"username": "fay"})).json()
        headers = {"Authorization": f"Bearer {issued['access_token']}"}

        response = await client.post(
            "/api/v1/auth/logout", json={"refresh_token": issued["refresh_token"]}, headers=headers
        )
        replay = await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": issued["refresh_token"]}
        )

        assert response.status_code == 204
        refused(replay, 401, "INVALID_REFRESH_TOKEN")


def _record(ended: list[str]) -> Callable[[str], Awaitable[None]]:
    async def listener(session_id: str) -> None:
        ended.append(session_id)

    return listener


class FailingJwks:
    def __init__(self) -> None:
        self.fail = True

    async def fetch(self) -> dict[str, Any]:
        if self.fail:
            raise ServiceUnavailable("keycloak", "JWKS unreachable")
        return {"keys": []}


class TestIdentityProviderHealth:
    async def test_keycloak_is_degraded_while_the_last_key_refresh_failed(
        self, clock: FixedClock
    ) -> None:
        jwks = FailingJwks()
        verifier = KeycloakTokenVerifier(
            jwks=jwks,
            issuer="http://kc/realms/flowra",
            client_id="c",
            refresh_interval=60,
            clock=clock,
        )
        check = keycloak_health(verifier)
        assert (await check()).status == "healthy"

        with pytest.raises(ServiceUnavailable):
            await verifier.refresh_keys()
        degraded = await check()
        jwks.fail = False
        clock.advance(timedelta(minutes=1))
        await verifier.refresh_keys()

        assert (degraded.status, degraded.backend) == ("degraded", "keycloak")
        assert (await check()).status == "healthy"

    async def test_local_is_healthy(self, clock: FixedClock) -> None:
        async with httpx.AsyncClient() as http:
            side = build_identity(
                Settings(), clock, RandomTokens(), InMemoryEphemeralStore(clock), http
            )

        health = await side.health()

        assert (side.kind, health.status, health.backend) == ("local", "healthy", "local")

    async def test_keycloak_side_is_built_from_the_settings(self, clock: FixedClock) -> None:
        settings = Settings(auth=AuthSettings(provider="keycloak"))
        async with httpx.AsyncClient() as http:
            side = build_identity(
                settings, clock, RandomTokens(), InMemoryEphemeralStore(clock), http
            )

        assert side.kind == "keycloak"
        assert side.local is None
        assert side.keycloak is not None
        assert side.keycloak.redirect_uri == "http://localhost:8080/api/v1/auth/callback"
