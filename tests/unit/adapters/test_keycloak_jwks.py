"""The realm key cache behind KeycloakTokenVerifier: when it fetches the JWKS, and when not.

An in-memory JWKS source counts fetches; the clock is fixed and moved by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from flowra_adapters.keycloak import HttpJwksSource, KeycloakTokenVerifier
from flowra_adapters.keycloak.jwks import signing_keys
from flowra_core.domain.errors import DomainError, ErrorCode, ServiceUnavailable
from flowra_core.testing.clock import FixedClock

ISSUER = "http://keycloak.test/realms/flowra"
CLIENT_ID = "flowra-backend"
REFRESH_INTERVAL = timedelta(hours=1)
CURRENT_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ROTATED_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key: rsa.RSAPrivateKey, kid: str, **extra: str) -> dict[str, Any]:
    return {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, **extra}


class CountingJwks:
    """Serves `keys` and counts fetches; `down` makes fetches fail; with a `gate`, a fetch
    sets `held` and waits for the gate."""

    def __init__(self, *keys: dict[str, Any]) -> None:
        self.keys = list(keys)
        self.fetches = 0
        self.down = False
        self.gate: asyncio.Event | None = None
        self.held = asyncio.Event()

    async def fetch(self) -> Mapping[str, Any]:
        self.fetches += 1
        if self.gate is not None:
            self.held.set()
            await self.gate.wait()
        if self.down:
            raise ServiceUnavailable("keycloak", "connection refused")
        return {"keys": list(self.keys)}


def token(clock: FixedClock, *, key: rsa.RSAPrivateKey = CURRENT_KEY, kid: str = "k1") -> str:
    now = int(clock.now().timestamp())
    payload = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "typ": "Bearer",
        "sub": "user-1",
        "preferred_username": "alice",
        "iat": now,
        "exp": now + 3 * 3600,
    }
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def source() -> CountingJwks:
    return CountingJwks(jwk(CURRENT_KEY, "k1"))


@pytest.fixture
def verifier(source: CountingJwks, clock: FixedClock) -> KeycloakTokenVerifier:
    return KeycloakTokenVerifier(
        jwks=source,
        issuer=ISSUER,
        client_id=CLIENT_ID,
        refresh_interval=REFRESH_INTERVAL.total_seconds(),
        clock=clock,
    )


async def code_of(verifier: KeycloakTokenVerifier, jws: str) -> ErrorCode:
    with pytest.raises(DomainError) as caught:
        await verifier.verify(jws)
    return caught.value.code


class TestScheduledRefresh:
    async def test_keys_are_fetched_once_and_reused(
        self, verifier: KeycloakTokenVerifier, source: CountingJwks, clock: FixedClock
    ) -> None:
        for _ in range(3):
            await verifier.verify(token(clock))

        assert source.fetches == 1

    async def test_keys_are_refetched_once_the_interval_has_passed(
        self, verifier: KeycloakTokenVerifier, source: CountingJwks, clock: FixedClock
    ) -> None:
        await verifier.verify(token(clock))
        clock.advance(REFRESH_INTERVAL - timedelta(seconds=1))
        await verifier.verify(token(clock))
        clock.advance(timedelta(seconds=1))
        await verifier.verify(token(clock))

        assert source.fetches == 2

    async def test_failed_refresh_keeps_the_cached_keys_and_reports_it(
        self, verifier: KeycloakTokenVerifier, source: CountingJwks, clock: FixedClock
    ) -> None:
        await verifier.verify(token(clock))
        source.down = True
        clock.advance(REFRESH_INTERVAL)

        identity = await verifier.verify(token(clock))

        assert (identity.username, verifier.last_refresh_failed) == ("alice", True)

    async def test_failed_refresh_is_retried_after_30_seconds_not_before(
        self, verifier: KeycloakTokenVerifier, source: CountingJwks, clock: FixedClock
    ) -> None:
        await verifier.verify(token(clock))
        source.down = True
        clock.advance(REFRESH_INTERVAL)
        await verifier.verify(token(clock))
        clock.advance(timedelta(seconds=29))
        await verifier.verify(token(clock))
        source.down = False
        clock.advance(timedelta(seconds=1))
        await verifier.verify(token(clock))

        assert (source.fetches, verifier.last_refresh_failed) == (3, False)


class TestUnavailableKeys:
    async def test_no_keys_at_all_is_service_unavailable(
        self, verifier: KeycloakTokenVerifier, source: CountingJwks, clock: FixedClock
    ) -> None:
        source.down = True

        with pytest.raises(ServiceUnavailable) as caught:
            await verifier.verify(token(clock))

        assert (caught.value.dependency, verifier.last_refresh_failed) == ("keycloak", True)

    async def test_unknown_kid_while_keycloak_is_down_is_service_unavailable(
        self, verifier: KeycloakTokenVerifier, source: CountingJwks, clock: FixedClock
    ) -> None:
        await verifier.verify(token(clock))
        source.down = True
        clock.advance(timedelta(seconds=30))

        with pytest.raises(ServiceUnavailable):
            await verifier.verify(token(clock, key=ROTATED_KEY, kid="k2"))

    async def test_warm_up_fetches_and_reports_failure(
        self, verifier: KeycloakTokenVerifier, source: CountingJwks
    ) -> None:
        await verifier.refresh_keys()
        source.down = True

        with pytest.raises(ServiceUnavailable):
            await verifier.refresh_keys()

        assert (source.fetches, verifier.last_refresh_failed) == (2, True)


class TestUnknownKid:
    async def test_rotated_in_key_is_fetched_and_accepted(
        self, verifier: KeycloakTokenVerifier, source: CountingJwks, clock: FixedClock
    ) -> None:
        await verifier.verify(token(clock))
        source.keys.append(jwk(ROTATED_KEY, "k2"))
        clock.advance(timedelta(seconds=30))

        identity = await verifier.verify(token(clock, key=ROTATED_KEY, kid="k2"))

        assert (identity.username, source.fetches) == ("alice", 2)

    async def test_no_refetch_within_30_seconds_of_the_last_fetch(
        self, verifier: KeycloakTokenVerifier, source: CountingJwks, clock: FixedClock
    ) -> None:
        await verifier.verify(token(clock))
        source.keys.append(jwk(ROTATED_KEY, "k2"))
        clock.advance(timedelta(seconds=29))

        code = await code_of(verifier, token(clock, key=ROTATED_KEY, kid="k2"))

        assert (code, source.fetches) == (ErrorCode.UNAUTHENTICATED, 1)

    async def test_a_flood_of_forged_kids_costs_one_fetch_per_30_seconds(
        self, verifier: KeycloakTokenVerifier, source: CountingJwks, clock: FixedClock
    ) -> None:
        await verifier.verify(token(clock))
        clock.advance(timedelta(seconds=30))
        for attempt in range(20):
            await code_of(verifier, token(clock, kid=f"forged-{attempt}"))
        fetches_in_window = source.fetches
        clock.advance(timedelta(seconds=30))
        await code_of(verifier, token(clock, kid="forged-late"))

        assert (fetches_in_window, source.fetches) == (2, 3)

    async def test_concurrent_lookups_share_one_fetch(
        self, verifier: KeycloakTokenVerifier, source: CountingJwks, clock: FixedClock
    ) -> None:
        await verifier.verify(token(clock))
        source.keys.append(jwk(ROTATED_KEY, "k2"))
        clock.advance(timedelta(seconds=30))
        source.gate = asyncio.Event()
        rotated = token(clock, key=ROTATED_KEY, kid="k2")
        lookups = [asyncio.create_task(verifier.verify(rotated)) for _ in range(10)]
        await source.held.wait()
        source.gate.set()

        identities = await asyncio.gather(*lookups)

        assert ({identity.username for identity in identities}, source.fetches) == ({"alice"}, 2)


class TestSigningKeys:
    def test_only_signature_keys_of_allowed_algorithms_with_a_kid_are_kept(self) -> None:
        ec_key = ec.generate_private_key(ec.SECP384R1())
        document = {
            "keys": [
                jwk(CURRENT_KEY, "sig-rs256", alg="RS256", use="sig"),
                jwk(CURRENT_KEY, "enc-oaep", alg="RSA-OAEP", use="enc"),
                jwk(CURRENT_KEY, "sig-rs512", alg="RS512"),
                {**ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True), "kid": "ec-p384"},
                {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
                {"kty": "RSA", "kid": "broken", "n": "AQAB"},
                jwk(CURRENT_KEY, ""),
                "not-a-key",
            ]
        }

        assert list(signing_keys(document)) == ["sig-rs256"]

    def test_document_without_keys_array_is_service_unavailable(self) -> None:
        with pytest.raises(ServiceUnavailable):
            signing_keys({"keys": "none"})


class TestHttpJwksSource:
    URL = "http://keycloak.test/realms/flowra/protocol/openid-connect/certs"

    async def fetch_with(self, handler: httpx.MockTransport) -> Mapping[str, Any]:
        async with httpx.AsyncClient(transport=handler) as http:
            return await HttpJwksSource(http, self.URL).fetch()

    async def test_returns_the_document(self) -> None:
        document = {"keys": [jwk(CURRENT_KEY, "k1")]}
        transport = httpx.MockTransport(lambda request: httpx.Response(200, json=document))

        assert await self.fetch_with(transport) == document

    @pytest.mark.parametrize(
        "response",
        [
            httpx.Response(503, text="starting"),
            httpx.Response(404, json={"error": "Realm does not exist"}),
            httpx.Response(200, text="<html>proxy error</html>"),
            httpx.Response(200, json=["keys"]),
        ],
    )
    async def test_bad_answers_are_service_unavailable(self, response: httpx.Response) -> None:
        transport = httpx.MockTransport(lambda request: response)

        with pytest.raises(ServiceUnavailable):
            await self.fetch_with(transport)

    async def test_connection_failure_is_service_unavailable(self) -> None:
        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        with pytest.raises(ServiceUnavailable):
            await self.fetch_with(httpx.MockTransport(refuse))
