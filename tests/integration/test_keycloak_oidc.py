"""KeycloakOidcClient against the real realm `flowra`: a browser-style code-flow login with
PKCE and nonce, refresh, and logout (after which the refresh token is dead)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Awaitable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from flowra_adapters.keycloak import (
    AuthorizationRequest,
    HttpJwksSource,
    KeycloakOidcClient,
    KeycloakTokenVerifier,
    OidcTokens,
    RealmEndpoints,
)
from flowra_adapters.system import RandomTokens, SystemClock
from flowra_core.domain.errors import DomainError, ErrorCode, ServiceUnavailable

pytestmark = pytest.mark.integration

REALM = "flowra"
CLIENT_ID = "flowra-backend"
CLIENT_SECRET = "flowra-dev-secret"
REDIRECT_URI = "http://127.0.0.1:8080/api/v1/auth/callback"
LOGIN_FORM = re.compile(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"')


@pytest.fixture
def endpoints(keycloak_http: httpx.AsyncClient, keycloak_url: str) -> RealmEndpoints:
    return RealmEndpoints(url=keycloak_url, public_url=keycloak_url, realm=REALM)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


@pytest.fixture
def oidc(http: httpx.AsyncClient, endpoints: RealmEndpoints) -> KeycloakOidcClient:
    return KeycloakOidcClient(
        http=http,
        endpoints=endpoints,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        tokens=RandomTokens(),
    )


@pytest.fixture
def verifier(http: httpx.AsyncClient, endpoints: RealmEndpoints) -> KeycloakTokenVerifier:
    return KeycloakTokenVerifier(
        jwks=HttpJwksSource(http, endpoints.certs),
        issuer=endpoints.issuer,
        client_id=CLIENT_ID,
        refresh_interval=3600,
        clock=SystemClock(),
    )


async def log_in_with_browser(request: AuthorizationRequest, username: str, password: str) -> str:
    """Follow `request.url` like a browser, submit Keycloak's login form, and return the
    `code` of the redirect to `redirect_uri` (after checking its `state`).

    Keycloak 26 marks its session cookies `Secure; SameSite=None` even over plain http;
    browsers still send them to 127.0.0.1, httpx does not, so they are passed by hand."""
    async with httpx.AsyncClient(timeout=10.0) as browser:
        page = await browser.get(request.url)
        assert page.status_code == httpx.codes.OK, page.text
        form = LOGIN_FORM.search(page.text)
        assert form is not None, "no login form on Keycloak's page"
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies.jar)
        submitted = await browser.post(
            html.unescape(form.group(1)),
            data={"username": username, "password": password},
            headers={"Cookie": cookies},
        )
    location: str = submitted.headers.get("location", "")
    assert location.startswith(request.redirect_uri), (submitted.status_code, location)
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [request.state]
    return query["code"][0]


async def logged_in(oidc: KeycloakOidcClient, username: str, password: str) -> OidcTokens:
    """The tokens of a session started by logging in through the browser flow."""
    request = oidc.authorization_request(REDIRECT_URI)
    code = await log_in_with_browser(request, username, password)
    return await oidc.exchange_code(code, REDIRECT_URI, request.code_verifier, nonce=request.nonce)


async def refused(action: Awaitable[object]) -> ErrorCode:
    with pytest.raises(DomainError) as caught:
        await action
    return caught.value.code


class TestCodeFlow:
    async def test_login_yields_tokens_for_the_user(
        self, oidc: KeycloakOidcClient, verifier: KeycloakTokenVerifier
    ) -> None:
        tokens = await logged_in(oidc, "alice", "test123")

        identity = await verifier.verify(tokens.access_token)

        assert (identity.username, tokens.token_type) == ("alice", "Bearer")
        assert tokens.expires_in > 0
        assert tokens.refresh_expires_in > 0

    async def test_wrong_code_verifier_is_login_failed(self, oidc: KeycloakOidcClient) -> None:
        request = oidc.authorization_request(REDIRECT_URI)
        code = await log_in_with_browser(request, "bob", "test123")

        exchange = oidc.exchange_code(code, REDIRECT_URI, "x" * 43)

        assert await refused(exchange) == ErrorCode.LOGIN_FAILED

    async def test_missing_code_verifier_is_login_failed(self, oidc: KeycloakOidcClient) -> None:
        request = oidc.authorization_request(REDIRECT_URI)
        code = await log_in_with_browser(request, "bob", "test123")

        assert await refused(oidc.exchange_code(code, REDIRECT_URI)) == ErrorCode.LOGIN_FAILED

    async def test_code_is_single_use(self, oidc: KeycloakOidcClient) -> None:
        request = oidc.authorization_request(REDIRECT_URI)
        code = await log_in_with_browser(request, "bob", "test123")
        await oidc.exchange_code(code, REDIRECT_URI, request.code_verifier)

        replay = oidc.exchange_code(code, REDIRECT_URI, request.code_verifier)

        assert await refused(replay) == ErrorCode.LOGIN_FAILED

    async def test_other_nonce_is_login_failed(self, oidc: KeycloakOidcClient) -> None:
        request = oidc.authorization_request(REDIRECT_URI)
        code = await log_in_with_browser(request, "bob", "test123")

        exchange = oidc.exchange_code(code, REDIRECT_URI, request.code_verifier, nonce="other")

        assert await refused(exchange) == ErrorCode.LOGIN_FAILED

    async def test_made_up_code_is_login_failed(self, oidc: KeycloakOidcClient) -> None:
        exchange = oidc.exchange_code("made-up", REDIRECT_URI, "x" * 43)

        assert await refused(exchange) == ErrorCode.LOGIN_FAILED


class TestRefreshAndLogout:
    async def test_refresh_yields_new_working_tokens(
        self, oidc: KeycloakOidcClient, verifier: KeycloakTokenVerifier
    ) -> None:
        tokens = await logged_in(oidc, "testuser", "test123")

        refreshed = await oidc.refresh(tokens.refresh_token)

        assert refreshed.access_token != tokens.access_token
        assert (await verifier.verify(refreshed.access_token)).username == "testuser"

    async def test_refresh_token_is_unusable_after_logout(self, oidc: KeycloakOidcClient) -> None:
        tokens = await logged_in(oidc, "testuser", "test123")

        await oidc.logout(tokens.refresh_token)

        assert await refused(oidc.refresh(tokens.refresh_token)) == ErrorCode.INVALID_REFRESH_TOKEN

    async def test_logout_ends_the_whole_session(self, oidc: KeycloakOidcClient) -> None:
        tokens = await logged_in(oidc, "testuser", "test123")
        rotated = await oidc.refresh(tokens.refresh_token)

        await oidc.logout(rotated.refresh_token)

        assert await refused(oidc.refresh(tokens.refresh_token)) == ErrorCode.INVALID_REFRESH_TOKEN

    async def test_logout_twice_and_with_garbage_is_harmless(
        self, oidc: KeycloakOidcClient
    ) -> None:
        tokens = await logged_in(oidc, "testuser", "test123")
        await oidc.logout(tokens.refresh_token)

        await oidc.logout(tokens.refresh_token)
        await oidc.logout("garbage")

    @pytest.mark.parametrize("token", ["garbage", "a.b.c"])
    async def test_invalid_refresh_token_is_rejected(
        self, oidc: KeycloakOidcClient, token: str
    ) -> None:
        assert await refused(oidc.refresh(token)) == ErrorCode.INVALID_REFRESH_TOKEN


class TestMisconfiguration:
    async def test_wrong_client_secret_is_service_unavailable(
        self, http: httpx.AsyncClient, endpoints: RealmEndpoints
    ) -> None:
        oidc = KeycloakOidcClient(
            http=http,
            endpoints=endpoints,
            client_id=CLIENT_ID,
            client_secret="not-the-secret",
            tokens=RandomTokens(),
        )

        with pytest.raises(ServiceUnavailable):
            await oidc.refresh("anything")

    async def test_unreachable_keycloak_is_service_unavailable(
        self, http: httpx.AsyncClient
    ) -> None:
        endpoints = RealmEndpoints(url="http://127.0.0.1:1", public_url="http://x", realm=REALM)
        oidc = KeycloakOidcClient(
            http=http,
            endpoints=endpoints,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            tokens=RandomTokens(),
        )

        with pytest.raises(ServiceUnavailable):
            await oidc.exchange_code("code", REDIRECT_URI, "x" * 43)
