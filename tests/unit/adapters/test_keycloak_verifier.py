"""KeycloakTokenVerifier on tokens signed with local keys, published through an in-memory JWKS.

The realm publishes an RSA key (`rsa-1`, RS256) and an EC P-256 key (`ec-1`, ES256); the
clock is fixed, so every time claim is exact.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from flowra_adapters.keycloak import KeycloakTokenVerifier
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.domain.user import UserSource
from flowra_core.ports.identity import IdentityClaims
from flowra_core.testing.clock import FixedClock

ISSUER = "https://sso.flowra.test/realms/flowra"
CLIENT_ID = "flowra-backend"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ABSENT = object()


class StaticJwks:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document

    async def fetch(self) -> Mapping[str, Any]:
        return self.document


def realm_jwks() -> dict[str, Any]:
    rsa_jwk = RSAAlgorithm.to_jwk(RSA_KEY.public_key(), as_dict=True)
    ec_jwk = ECAlgorithm.to_jwk(EC_KEY.public_key(), as_dict=True)
    return {
        "keys": [
            {**rsa_jwk, "kid": "rsa-1", "alg": "RS256", "use": "sig"},
            {**ec_jwk, "kid": "ec-1", "alg": "ES256", "use": "sig"},
        ]
    }


def make_verifier(clock: FixedClock, *, audience: str = "") -> KeycloakTokenVerifier:
    return KeycloakTokenVerifier(
        jwks=StaticJwks(realm_jwks()),
        issuer=ISSUER,
        client_id=CLIENT_ID,
        audience=audience,
        refresh_interval=3600,
        clock=clock,
    )


def claims(clock: FixedClock, **overrides: object) -> dict[str, Any]:
    """Alice's access token claims as Keycloak issues them; ABSENT removes a claim."""
    now = int(clock.now().timestamp())
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "aud": [CLIENT_ID, "account"],
        "azp": CLIENT_ID,
        "typ": "Bearer",
        "sub": "57586b64-d98e-4224-932c-9ce3dc5d2996",
        "iat": now,
        "exp": now + 300,
        "preferred_username": "alice",
        "email": "alice@flowra.test",
        "name": "Alice Anderson",
        "realm_access": {"roles": ["default-roles-flowra", "user"]},
    }
    payload.update(overrides)
    return {name: value for name, value in payload.items() if value is not ABSENT}


def sign(
    payload: Mapping[str, Any], *, key: Any = RSA_KEY, kid: str = "rsa-1", alg: str = "RS256"
) -> str:
    return jwt.encode(dict(payload), key, algorithm=alg, headers={"kid": kid})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def assemble(header: Mapping[str, Any], payload: Mapping[str, Any], signature: bytes) -> str:
    return ".".join(
        [b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()), b64(signature)]
    )


async def rejected(verifier: KeycloakTokenVerifier, token: str) -> ErrorCode:
    with pytest.raises(DomainError) as caught:
        await verifier.verify(token)
    return caught.value.code


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def verifier(clock: FixedClock) -> KeycloakTokenVerifier:
    return make_verifier(clock)


class TestAcceptedTokens:
    async def test_rs256_token_maps_to_identity_claims(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        identity = await verifier.verify(sign(claims(clock)))

        assert identity == IdentityClaims(
            external_id="57586b64-d98e-4224-932c-9ce3dc5d2996",
            username="alice",
            email="alice@flowra.test",
            display_name="Alice Anderson",
            is_system_admin=False,
            source=UserSource.LOGIN,
        )

    async def test_es256_token_is_accepted(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        identity = await verifier.verify(sign(claims(clock), key=EC_KEY, kid="ec-1", alg="ES256"))

        assert identity.username == "alice"

    @pytest.mark.parametrize("role", ["admin", "system-admin"])
    async def test_admin_realm_role_makes_a_system_admin(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock, role: str
    ) -> None:
        token = sign(claims(clock, realm_access={"roles": ["user", role]}))

        assert (await verifier.verify(token)).is_system_admin is True

    async def test_client_role_named_admin_does_not_count(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        token = sign(claims(clock, resource_access={CLIENT_ID: {"roles": ["admin"]}}))

        assert (await verifier.verify(token)).is_system_admin is False

    async def test_missing_email_name_and_roles_give_none_and_no_admin(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        token = sign(claims(clock, email=ABSENT, name=ABSENT, realm_access=ABSENT))

        identity = await verifier.verify(token)

        assert (identity.email, identity.display_name, identity.is_system_admin) == (
            None,
            None,
            False,
        )


class TestForgedTokens:
    async def test_alg_none_is_rejected(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        token = assemble({"alg": "none", "typ": "JWT", "kid": "rsa-1"}, claims(clock), b"")

        assert await rejected(verifier, token) == ErrorCode.UNAUTHENTICATED

    async def test_hs256_signed_with_the_public_key_pem_is_rejected(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        pem = RSA_KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        header = {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}
        unsigned = assemble(header, claims(clock), b"").rstrip(".")
        signature = hmac.new(pem, unsigned.encode(), hashlib.sha256).digest()

        assert await rejected(verifier, f"{unsigned}.{b64(signature)}") == ErrorCode.UNAUTHENTICATED

    @pytest.mark.parametrize("alg", ["RS384", "RS512", "PS256"])
    async def test_other_rsa_algorithms_are_rejected(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock, alg: str
    ) -> None:
        assert await rejected(verifier, sign(claims(clock), alg=alg)) == ErrorCode.UNAUTHENTICATED

    async def test_es256_header_on_the_rsa_key_is_rejected(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        token = sign(claims(clock), key=EC_KEY, kid="rsa-1", alg="ES256")

        assert await rejected(verifier, token) == ErrorCode.UNAUTHENTICATED

    async def test_another_key_under_a_published_kid_is_rejected(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        token = sign(claims(clock), key=OTHER_RSA_KEY, kid="rsa-1")

        assert await rejected(verifier, token) == ErrorCode.UNAUTHENTICATED

    async def test_tampered_payload_is_rejected(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        header, _, signature = sign(claims(clock)).split(".")
        promoted = claims(clock, realm_access={"roles": ["admin"]})
        payload = b64(json.dumps(promoted).encode())

        assert await rejected(verifier, f"{header}.{payload}.{signature}") == (
            ErrorCode.UNAUTHENTICATED
        )

    async def test_unknown_kid_is_rejected(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        token = sign(claims(clock), kid="not-published")

        assert await rejected(verifier, token) == ErrorCode.UNAUTHENTICATED

    async def test_token_without_kid_is_rejected(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        token = jwt.encode(claims(clock), RSA_KEY, algorithm="RS256")

        assert await rejected(verifier, token) == ErrorCode.UNAUTHENTICATED

    @pytest.mark.parametrize(
        "token", ["", "garbage", "a.b.c", "Bearer x.y.z", "....", "eyJhbGciOiJSUzI1NiJ9..sig"]
    )
    async def test_garbage_is_rejected(self, verifier: KeycloakTokenVerifier, token: str) -> None:
        assert await rejected(verifier, token) == ErrorCode.UNAUTHENTICATED


class TestClaimChecks:
    async def test_wrong_issuer_is_rejected(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        token = sign(claims(clock, iss="https://sso.flowra.test/realms/other"))

        assert await rejected(verifier, token) == ErrorCode.UNAUTHENTICATED

    @pytest.mark.parametrize("typ", ["ID", "Refresh", "Offline", ABSENT])
    async def test_tokens_other_than_bearer_are_rejected(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock, typ: object
    ) -> None:
        assert await rejected(verifier, sign(claims(clock, typ=typ))) == ErrorCode.UNAUTHENTICATED

    async def test_token_of_another_client_is_rejected(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        token = sign(claims(clock, aud=["account"], azp="other-app"))

        assert await rejected(verifier, token) == ErrorCode.UNAUTHENTICATED

    async def test_without_configured_audience_aud_naming_the_client_suffices(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        token = sign(claims(clock, aud=CLIENT_ID, azp="flowra-web"))

        assert (await verifier.verify(token)).username == "alice"

    async def test_without_configured_audience_azp_naming_the_client_suffices(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        token = sign(claims(clock, aud=ABSENT))

        assert (await verifier.verify(token)).username == "alice"

    async def test_configured_audience_must_be_in_aud(self, clock: FixedClock) -> None:
        verifier = make_verifier(clock, audience="flowra-api")

        accepted = await verifier.verify(sign(claims(clock, aud=["flowra-api", "account"])))
        code = await rejected(verifier, sign(claims(clock)))

        assert (accepted.username, code) == ("alice", ErrorCode.UNAUTHENTICATED)

    @pytest.mark.parametrize("claim", ["sub", "preferred_username", "exp", "iat", "iss"])
    async def test_missing_required_claim_is_rejected(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock, claim: str
    ) -> None:
        token = sign(claims(clock, **{claim: ABSENT}))

        assert await rejected(verifier, token) == ErrorCode.UNAUTHENTICATED

    @pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
    async def test_non_numeric_time_claim_is_rejected(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock, claim: str
    ) -> None:
        token = sign(claims(clock, **{claim: "soon"}))

        assert await rejected(verifier, token) == ErrorCode.UNAUTHENTICATED


class TestTimeChecks:
    """`exp`, `nbf` and `iat` are checked with 30 s of leeway."""

    async def test_expired_beyond_leeway_is_token_expired(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        token = sign(claims(clock))
        clock.advance(timedelta(seconds=330))

        assert await rejected(verifier, token) == ErrorCode.TOKEN_EXPIRED

    async def test_expired_within_leeway_is_accepted(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        token = sign(claims(clock))
        clock.advance(timedelta(seconds=329))

        assert (await verifier.verify(token)).username == "alice"

    async def test_expired_and_forged_is_unauthenticated(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        token = sign(claims(clock), key=OTHER_RSA_KEY)
        clock.advance(timedelta(hours=1))

        assert await rejected(verifier, token) == ErrorCode.UNAUTHENTICATED

    async def test_expired_token_of_another_client_is_unauthenticated(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        token = sign(claims(clock, aud=["account"], azp="other-app"))
        clock.advance(timedelta(hours=1))

        assert await rejected(verifier, token) == ErrorCode.UNAUTHENTICATED

    async def test_not_yet_valid_beyond_leeway_is_rejected(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        now = int(clock.now().timestamp())

        assert await rejected(verifier, sign(claims(clock, nbf=now + 31))) == (
            ErrorCode.UNAUTHENTICATED
        )

    async def test_not_yet_valid_within_leeway_is_accepted(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        now = int(clock.now().timestamp())

        assert (await verifier.verify(sign(claims(clock, nbf=now + 30)))).username == "alice"

    async def test_issued_in_the_future_beyond_leeway_is_rejected(
        self, verifier: KeycloakTokenVerifier, clock: FixedClock
    ) -> None:
        now = int(clock.now().timestamp())

        assert await rejected(verifier, sign(claims(clock, iat=now + 31))) == (
            ErrorCode.UNAUTHENTICATED
        )
