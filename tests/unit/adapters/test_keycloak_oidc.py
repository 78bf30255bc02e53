"""KeycloakOidcClient against a scripted Keycloak (httpx.MockTransport): what it sends, and
how each answer maps to tokens or to an error."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from flowra_adapters.keycloak import KeycloakOidcClient, OidcTokens, RealmEndpoints
from flowra_adapters.keycloak.oidc import pkce_challenge
from flowra_core.domain.errors import DomainError, ErrorCode, ServiceUnavailable
from flowra_core.testing.clock import SeededTokens

ENDPOINTS = RealmEndpoints(
    url="http://keycloak:8080", public_url="https://sso.flowra.test", realm="flowra"
)
REDIRECT_URI = "https://flowra.test/api/v1/auth/callback"
OIDC = "http://keycloak:8080/realms/flowra/protocol/openid-connect"


def token_body(*, nonce: str | None = None) -> dict[str, object]:
    id_claims = {"typ": "ID", "sub": "user-1"} | ({"nonce": nonce} if nonce else {})
    return {
        "access_token": "access-1",
        "refresh_token": "refresh-1",
        "token_type": "Bearer",
        "expires_in": 300,
        "refresh_expires_in": 1800,
        "id_token": jwt.encode(id_claims, "irrelevant-signing-secret-32-bytes", "HS256"),
        "scope": "openid email profile",
    }


@dataclass
class ScriptedKeycloak:
    """Answers every request with `answer`, recording (path, form) pairs."""

    answer: Callable[[httpx.Request], httpx.Response]
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = {name: values[0] for name, values in parse_qs(request.content.decode()).items()}
        self.calls.append((request.url.path.rsplit("/", 1)[-1], form))
        return self.answer(request)


def answering(status: int, body: object = None) -> ScriptedKeycloak:
    return ScriptedKeycloak(lambda request: httpx.Response(status, json=body))


OidcFor = Callable[[ScriptedKeycloak], KeycloakOidcClient]


@pytest.fixture
async def client_for() -> AsyncIterator[OidcFor]:
    """`client_for(keycloak)`: an OIDC client talking to the scripted Keycloak."""
    opened: list[httpx.AsyncClient] = []

    def build(keycloak: ScriptedKeycloak) -> KeycloakOidcClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(keycloak))
        opened.append(http)
        return KeycloakOidcClient(
            http=http,
            endpoints=ENDPOINTS,
            client_id="flowra-backend",
            client_secret="s3cret",
            tokens=SeededTokens(),
        )

    yield build
    for http in opened:
        await http.aclose()


class TestAuthorizationRequest:
    def test_url_asks_for_a_code_with_pkce_state_and_nonce(self, client_for: OidcFor) -> None:
        request = client_for(answering(200)).authorization_request(REDIRECT_URI)

        url = urlsplit(request.url)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        assert f"{url.scheme}://{url.netloc}{url.path}" == (
            "https://sso.flowra.test/realms/flowra/protocol/openid-connect/auth"
        )
        assert query == {
            "response_type": "code",
            "client_id": "flowra-backend",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "state": request.state,
            "nonce": request.nonce,
            "code_challenge": pkce_challenge(request.code_verifier),
            "code_challenge_method": "S256",
        }

    def test_each_request_has_fresh_distinct_secrets(self, client_for: OidcFor) -> None:
        client = client_for(answering(200))
        first, second = (
            client.authorization_request(REDIRECT_URI),
            client.authorization_request(REDIRECT_URI),
        )

        secrets = {first.state, first.nonce, first.code_verifier, second.state, second.nonce}
        assert len(secrets) == 5
        assert 43 <= len(first.code_verifier) <= 128

    def test_pkce_challenge_matches_rfc_7636_example(self) -> None:
        verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

        assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


class TestExchangeCode:
    async def test_posts_the_code_with_verifier_and_client_credentials(
        self, client_for: OidcFor
    ) -> None:
        keycloak = answering(200, token_body())

        tokens = await client_for(keycloak).exchange_code("code-1", REDIRECT_URI, "verifier-1")

        assert tokens == OidcTokens(
            access_token="access-1",
            refresh_token="refresh-1",
            token_type="Bearer",
            expires_in=300,
            refresh_expires_in=1800,
            id_token=str(token_body()["id_token"]),
        )
        assert keycloak.calls == [
            (
                "token",
                {
                    "client_id": "flowra-backend",
                    "client_secret": "s3cret",
                    "grant_type": "authorization_code",
                    "code": "code-1",
                    "redirect_uri": REDIRECT_URI,
                    "code_verifier": "verifier-1",
                    "scope": "openid",
                },
            )
        ]

    async def test_refused_code_is_login_failed(self, client_for: OidcFor) -> None:
        keycloak = answering(400, {"error": "invalid_grant", "error_description": "Code not valid"})

        with pytest.raises(DomainError) as caught:
            await client_for(keycloak).exchange_code("used", REDIRECT_URI, "verifier-1")

        assert caught.value.code == ErrorCode.LOGIN_FAILED

    async def test_matching_nonce_is_accepted(self, client_for: OidcFor) -> None:
        keycloak = answering(200, token_body(nonce="n-1"))

        tokens = await client_for(keycloak).exchange_code("c", REDIRECT_URI, "v", nonce="n-1")

        assert tokens.access_token == "access-1"

    @pytest.mark.parametrize("returned_nonce", ["n-other", None])
    async def test_other_or_missing_nonce_is_login_failed(
        self, client_for: OidcFor, returned_nonce: str | None
    ) -> None:
        keycloak = answering(200, token_body(nonce=returned_nonce))

        with pytest.raises(DomainError) as caught:
            await client_for(keycloak).exchange_code("c", REDIRECT_URI, "v", nonce="n-1")

        assert caught.value.code == ErrorCode.LOGIN_FAILED


class TestRefresh:
    async def test_posts_the_refresh_token(self, client_for: OidcFor) -> None:
        keycloak = answering(200, token_body())

        tokens = await client_for(keycloak).refresh("refresh-0")

        assert tokens.refresh_token == "refresh-1"
        assert keycloak.calls[0][1]["grant_type"] == "refresh_token"
        assert keycloak.calls[0][1]["refresh_token"] == "refresh-0"

    async def test_refused_refresh_token_is_invalid_refresh_token(
        self, client_for: OidcFor
    ) -> None:
        keycloak = answering(
            400, {"error": "invalid_grant", "error_description": "Session not active"}
        )

        with pytest.raises(DomainError) as caught:
            await client_for(keycloak).refresh("refresh-0")

        assert caught.value.code == ErrorCode.INVALID_REFRESH_TOKEN

    @pytest.mark.parametrize(
        "keycloak",
        [
            answering(401, {"error": "unauthorized_client"}),
            answering(502, None),
            answering(200, {"error": "no tokens"}),
            ScriptedKeycloak(lambda request: httpx.Response(200, text="<html>")),
        ],
        ids=["client-secret-refused", "bad-gateway", "no-tokens", "not-json"],
    )
    async def test_server_side_failures_are_service_unavailable(
        self, client_for: OidcFor, keycloak: ScriptedKeycloak
    ) -> None:
        with pytest.raises(ServiceUnavailable) as caught:
            await client_for(keycloak).refresh("refresh-0")

        assert caught.value.dependency == "keycloak"

    async def test_connection_failure_is_service_unavailable(self, client_for: OidcFor) -> None:
        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectTimeout("timed out", request=request)

        with pytest.raises(ServiceUnavailable):
            await client_for(ScriptedKeycloak(refuse)).refresh("refresh-0")


class TestLogout:
    async def test_ends_the_session_then_revokes_the_token(self, client_for: OidcFor) -> None:
        keycloak = ScriptedKeycloak(lambda request: httpx.Response(204))

        await client_for(keycloak).logout("refresh-0")

        assert keycloak.calls == [
            (
                "logout",
                {
                    "client_id": "flowra-backend",
                    "client_secret": "s3cret",
                    "refresh_token": "refresh-0",
                },
            ),
            (
                "revoke",
                {
                    "client_id": "flowra-backend",
                    "client_secret": "s3cret",
                    "token": "refresh-0",
                    "token_type_hint": "refresh_token",
                },
            ),
        ]

    async def test_already_unusable_token_is_no_error(self, client_for: OidcFor) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/logout"):
                return httpx.Response(400, json={"error": "invalid_grant"})
            return httpx.Response(200, json={"error": "invalid_token"})

        keycloak = ScriptedKeycloak(answer)

        await client_for(keycloak).logout("refresh-0")

        assert [path for path, _ in keycloak.calls] == ["logout", "revoke"]

    async def test_refused_client_secret_is_service_unavailable(self, client_for: OidcFor) -> None:
        with pytest.raises(ServiceUnavailable):
            await client_for(answering(401, {"error": "unauthorized_client"})).logout("refresh-0")
