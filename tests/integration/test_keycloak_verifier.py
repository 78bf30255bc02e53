"""KeycloakTokenVerifier against the real realm `flowra`: its tokens are accepted and map to
the right user; tampered, forged, foreign, expired and garbage tokens are not."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from flowra_adapters.keycloak import HttpJwksSource, KeycloakTokenVerifier, RealmEndpoints
from flowra_adapters.system import SystemClock
from flowra_core.domain.errors import DomainError, ErrorCode, ServiceUnavailable
from flowra_core.ports.clock import Clock
from flowra_core.testing.clock import FixedClock

pytestmark = pytest.mark.integration

REALM = "flowra"
CLIENT_ID = "flowra-backend"
TokenFetcher = Callable[[str, str], Awaitable[str]]
VerifierFactory = Callable[..., KeycloakTokenVerifier]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


@pytest.fixture
def make_verifier(
    http: httpx.AsyncClient, keycloak_http: httpx.AsyncClient, keycloak_url: str
) -> VerifierFactory:
    """`make_verifier(**overrides)`: a verifier on the real realm (keycloak_http checks that
    the realm is served); overrides replace endpoints, client_id, audience or clock."""

    def build(
        *,
        endpoints: RealmEndpoints | None = None,
        client_id: str = CLIENT_ID,
        audience: str = "",
        clock: Clock | None = None,
    ) -> KeycloakTokenVerifier:
        realm = endpoints or RealmEndpoints(url=keycloak_url, public_url=keycloak_url, realm=REALM)
        return KeycloakTokenVerifier(
            jwks=HttpJwksSource(http, realm.certs),
            issuer=realm.issuer,
            client_id=client_id,
            audience=audience,
            refresh_interval=3600,
            clock=clock or SystemClock(),
        )

    return build


@pytest.fixture
def verifier(make_verifier: VerifierFactory) -> KeycloakTokenVerifier:
    return make_verifier()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return (
        json.loads(base64.urlsafe_b64decode(header + "==")),
        json.loads(base64.urlsafe_b64decode(payload + "==")),
        signature,
    )


def reassemble(header: dict[str, Any], payload: dict[str, Any], signature: str) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}.{signature}"


async def refused(verifier: KeycloakTokenVerifier, token: str) -> ErrorCode:
    with pytest.raises(DomainError) as caught:
        await verifier.verify(token)
    return caught.value.code


class TestRealTokens:
    @pytest.mark.parametrize(
        ("username", "password", "display_name", "is_admin"),
        [
            ("testuser", "test123", "Test User", False),
            ("alice", "test123", "Alice Anderson", False),
            ("bob", "test123", "Bob Brown", False),
            ("admin", "admin123", "Admin Istrator", True),
        ],
    )
    async def test_seeded_users_are_accepted_with_their_claims(
        self,
        verifier: KeycloakTokenVerifier,
        password_grant: TokenFetcher,
        username: str,
        password: str,
        display_name: str,
        is_admin: bool,
    ) -> None:
        token = await password_grant(username, password)

        identity = await verifier.verify(token)

        assert (identity.username, identity.email, identity.display_name) == (
            username,
            f"{username}@flowra.test",
            display_name,
        )
        assert identity.is_system_admin is is_admin
        assert identity.external_id == jwt.decode(token, options={"verify_signature": False})["sub"]
        assert verifier.last_refresh_failed is False

    async def test_configured_audience_flowra_backend_is_accepted(
        self, make_verifier: VerifierFactory, password_grant: TokenFetcher
    ) -> None:
        verifier = make_verifier(audience=CLIENT_ID)

        identity = await verifier.verify(await password_grant("bob", "test123"))

        assert identity.username == "bob"


class TestForeignTokens:
    async def test_other_issuer_is_rejected(
        self, make_verifier: VerifierFactory, password_grant: TokenFetcher, keycloak_url: str
    ) -> None:
        endpoints = RealmEndpoints(
            url=keycloak_url, public_url="https://sso.other.test", realm=REALM
        )
        verifier = make_verifier(endpoints=endpoints)

        code = await refused(verifier, await password_grant("alice", "test123"))

        assert code == ErrorCode.UNAUTHENTICATED

    async def test_other_audience_is_rejected(
        self, make_verifier: VerifierFactory, password_grant: TokenFetcher
    ) -> None:
        verifier = make_verifier(audience="billing-api")

        code = await refused(verifier, await password_grant("alice", "test123"))

        assert code == ErrorCode.UNAUTHENTICATED

    async def test_other_client_is_rejected(
        self, make_verifier: VerifierFactory, password_grant: TokenFetcher
    ) -> None:
        verifier = make_verifier(client_id="billing-app")

        code = await refused(verifier, await password_grant("alice", "test123"))

        assert code == ErrorCode.UNAUTHENTICATED

    async def test_id_and_refresh_tokens_are_not_access_tokens(
        self, verifier: KeycloakTokenVerifier, keycloak_http: httpx.AsyncClient
    ) -> None:
        response = await keycloak_http.post(
            f"/realms/{REALM}/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": CLIENT_ID,
                "client_secret": "flowra-dev-secret",
                "username": "alice",
                "password": "test123",
                "scope": "openid",
            },
        )
        tokens = response.json()

        assert await refused(verifier, tokens["id_token"]) == ErrorCode.UNAUTHENTICATED
        assert await refused(verifier, tokens["refresh_token"]) == ErrorCode.UNAUTHENTICATED


class TestTamperedTokens:
    async def test_tampered_payload_is_rejected(
        self, verifier: KeycloakTokenVerifier, password_grant: TokenFetcher
    ) -> None:
        header, payload, signature = segments(await password_grant("alice", "test123"))
        payload["realm_access"] = {"roles": ["user", "admin"]}

        code = await refused(verifier, reassemble(header, payload, signature))

        assert code == ErrorCode.UNAUTHENTICATED

    async def test_tampered_signature_is_rejected(
        self, verifier: KeycloakTokenVerifier, password_grant: TokenFetcher
    ) -> None:
        header, payload, signature = segments(await password_grant("alice", "test123"))
        flipped = ("A" if signature[10] != "A" else "B").join([signature[:10], signature[11:]])

        assert await refused(verifier, reassemble(header, payload, flipped)) == (
            ErrorCode.UNAUTHENTICATED
        )

    async def test_alg_none_is_rejected(
        self, verifier: KeycloakTokenVerifier, password_grant: TokenFetcher
    ) -> None:
        header, payload, _ = segments(await password_grant("alice", "test123"))

        token = reassemble({**header, "alg": "none"}, payload, "")

        assert await refused(verifier, token) == ErrorCode.UNAUTHENTICATED

    async def test_hs256_signed_with_the_realm_public_key_is_rejected(
        self,
        verifier: KeycloakTokenVerifier,
        password_grant: TokenFetcher,
        keycloak_http: httpx.AsyncClient,
    ) -> None:
        header, payload, _ = segments(await password_grant("alice", "test123"))
        jwks = (await keycloak_http.get(f"/realms/{REALM}/protocol/openid-connect/certs")).json()
        public_key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]].key
        pem = public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        unsigned = reassemble({**header, "alg": "HS256"}, payload, "").rstrip(".")
        signature = hmac.new(pem, unsigned.encode(), hashlib.sha256).digest()

        assert await refused(verifier, f"{unsigned}.{b64(signature)}") == ErrorCode.UNAUTHENTICATED

    async def test_unknown_kid_is_rejected(
        self, verifier: KeycloakTokenVerifier, password_grant: TokenFetcher
    ) -> None:
        header, payload, signature = segments(await password_grant("alice", "test123"))

        token = reassemble({**header, "kid": "rotated-away"}, payload, signature)

        assert await refused(verifier, token) == ErrorCode.UNAUTHENTICATED

    @pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "Bearer abc", "e30.e30.e30"])
    async def test_garbage_is_rejected(self, verifier: KeycloakTokenVerifier, token: str) -> None:
        assert await refused(verifier, token) == ErrorCode.UNAUTHENTICATED


class TestTimes:
    async def test_token_past_its_expiry_is_token_expired(
        self, make_verifier: VerifierFactory, password_grant: TokenFetcher
    ) -> None:
        token = await password_grant("alice", "test123")
        clock = FixedClock(SystemClock().now() + timedelta(minutes=10))

        assert await refused(make_verifier(clock=clock), token) == ErrorCode.TOKEN_EXPIRED

    async def test_token_from_the_future_is_rejected(
        self, make_verifier: VerifierFactory, password_grant: TokenFetcher
    ) -> None:
        token = await password_grant("alice", "test123")
        clock = FixedClock(SystemClock().now() - timedelta(minutes=10))

        assert await refused(make_verifier(clock=clock), token) == ErrorCode.UNAUTHENTICATED


class TestUnreachableKeycloak:
    async def test_unknown_realm_is_service_unavailable(
        self, make_verifier: VerifierFactory, password_grant: TokenFetcher, keycloak_url: str
    ) -> None:
        endpoints = RealmEndpoints(url=keycloak_url, public_url=keycloak_url, realm="no-such-realm")
        verifier = make_verifier(endpoints=endpoints)

        with pytest.raises(ServiceUnavailable):
            await verifier.verify(await password_grant("alice", "test123"))

        assert verifier.last_refresh_failed is True

    async def test_closed_port_is_service_unavailable(
        self, make_verifier: VerifierFactory, password_grant: TokenFetcher
    ) -> None:
        endpoints = RealmEndpoints(url="http://127.0.0.1:1", public_url="http://x", realm=REALM)
        verifier = make_verifier(endpoints=endpoints)

        with pytest.raises(ServiceUnavailable):
            await verifier.verify(await password_grant("alice", "test123"))
