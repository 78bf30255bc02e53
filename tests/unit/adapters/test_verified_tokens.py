"""The memory of verified access tokens behind both token verifiers.

Each verifier is a real one whose full check (`verify_uncached`) counts its calls; tokens are
signed with local keys, the Keycloak realm's JWKS is served from memory, and the clock is
fixed. The local provider checks `exp` on the real clock, so its fixed clock starts now.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from flowra_adapters.keycloak import KeycloakTokenVerifier
from flowra_adapters.local.identity import LocalIdentityProvider
from flowra_adapters.system import SystemClock
from flowra_adapters.verified_tokens import MAX_AGE, VerifiedToken, VerifiedTokens
from flowra_core.domain.errors import DomainError, ErrorCode, ServiceUnavailable
from flowra_core.memory.ephemeral import InMemoryEphemeralStore
from flowra_core.testing.clock import FixedClock, SeededTokens

ISSUER = "http://keycloak.test/realms/flowra"
CLIENT_ID = "flowra-backend"
CURRENT_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ROTATED_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
LOCAL_SECRET = "a-local-secret-that-is-long-enough-for-hs256-0123"


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    return {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid}


class SwitchableJwks:
    """Serves `keys`; `down` makes fetches fail."""

    def __init__(self, *keys: dict[str, Any]) -> None:
        self.keys = list(keys)
        self.down = False

    async def fetch(self) -> Mapping[str, Any]:
        if self.down:
            raise ServiceUnavailable("keycloak", "connection refused")
        return {"keys": list(self.keys)}


class CountingKeycloakVerifier(KeycloakTokenVerifier):
    """The real verifier, counting its full checks."""

    checks = 0

    async def verify_uncached(self, token: str) -> VerifiedToken:
        self.checks += 1
        return await super().verify_uncached(token)


class CountingLocalProvider(LocalIdentityProvider):
    """The real local provider, counting its full checks."""

    checks = 0

    def verify_uncached(self, token: str) -> VerifiedToken:
        self.checks += 1
        return super().verify_uncached(token)


def realm_token(
    clock: FixedClock,
    *,
    lifetime: timedelta = timedelta(minutes=5),
    key: rsa.RSAPrivateKey = CURRENT_KEY,
    kid: str = "k1",
    **overrides: object,
) -> str:
    now = int(clock.now().timestamp())
    payload = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "typ": "Bearer",
        "sub": "user-1",
        "preferred_username": "alice",
        "iat": now,
        "exp": now + int(lifetime.total_seconds()),
        **overrides,
    }
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


async def refusal(verifier: KeycloakTokenVerifier, token: str) -> ErrorCode:
    with pytest.raises(DomainError) as caught:
        await verifier.verify(token)
    return caught.value.code


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def jwks() -> SwitchableJwks:
    return SwitchableJwks(jwk(CURRENT_KEY, "k1"))


def keycloak_verifier(
    jwks: SwitchableJwks, clock: FixedClock, verified_tokens: VerifiedTokens | None = None
) -> CountingKeycloakVerifier:
    return CountingKeycloakVerifier(
        jwks=jwks,
        issuer=ISSUER,
        client_id=CLIENT_ID,
        refresh_interval=3600,
        clock=clock,
        verified_tokens=verified_tokens,
    )


@pytest.fixture
def verifier(jwks: SwitchableJwks, clock: FixedClock) -> CountingKeycloakVerifier:
    return keycloak_verifier(jwks, clock)


class TestKeycloakHits:
    async def test_a_token_verified_once_is_not_checked_again(
        self, verifier: CountingKeycloakVerifier, clock: FixedClock
    ) -> None:
        token = realm_token(clock)

        identities = [await verifier.verify(token) for _ in range(5)]

        assert ({identity.username for identity in identities}, verifier.checks) == ({"alice"}, 1)

    async def test_each_token_is_checked_on_its_own(
        self, verifier: CountingKeycloakVerifier, clock: FixedClock
    ) -> None:
        alice = realm_token(clock)
        bob = realm_token(clock, sub="user-2", preferred_username="bob")

        names = [(await verifier.verify(token)).username for token in (alice, bob, alice, bob)]

        assert (names, verifier.checks) == (["alice", "bob", "alice", "bob"], 2)

    async def test_the_least_recently_used_token_leaves_a_full_memory(
        self, jwks: SwitchableJwks, clock: FixedClock
    ) -> None:
        verifier = keycloak_verifier(jwks, clock, VerifiedTokens(clock, max_entries=2))
        first, second, third = (realm_token(clock, jti=str(n)) for n in range(3))
        for token in (first, second, first, third):  # `second` is now the least recent
            await verifier.verify(token)
        checks_before = verifier.checks

        await verifier.verify(first)
        await verifier.verify(third)
        await verifier.verify(second)

        assert (checks_before, verifier.checks) == (3, 4)


class TestKeycloakExpiry:
    async def test_a_hit_lasts_at_most_max_age(
        self, verifier: CountingKeycloakVerifier, clock: FixedClock
    ) -> None:
        token = realm_token(clock, lifetime=timedelta(hours=1))
        await verifier.verify(token)
        clock.advance(MAX_AGE - timedelta(seconds=1))
        await verifier.verify(token)
        checks_within = verifier.checks
        clock.advance(timedelta(seconds=1))

        await verifier.verify(token)

        assert (checks_within, verifier.checks) == (1, 2)

    async def test_a_token_is_checked_again_once_its_exp_has_passed(
        self, verifier: CountingKeycloakVerifier, clock: FixedClock
    ) -> None:
        token = realm_token(clock, lifetime=timedelta(seconds=10))
        await verifier.verify(token)
        clock.advance(timedelta(seconds=10))

        identity = await verifier.verify(token)  # still within the 30 s of leeway

        assert (identity.username, verifier.checks) == ("alice", 2)

    async def test_an_expired_token_is_refused_though_it_was_verified_moments_ago(
        self, verifier: CountingKeycloakVerifier, clock: FixedClock
    ) -> None:
        token = realm_token(clock, lifetime=timedelta(seconds=10))
        await verifier.verify(token)
        clock.advance(timedelta(seconds=41))  # past exp + leeway, within MAX_AGE

        assert await refusal(verifier, token) == ErrorCode.TOKEN_EXPIRED


class TestKeycloakFailures:
    async def test_a_refused_token_is_checked_every_time(
        self, verifier: CountingKeycloakVerifier, clock: FixedClock
    ) -> None:
        forged = realm_token(clock, key=ROTATED_KEY)

        codes = [await refusal(verifier, forged) for _ in range(3)]

        assert (set(codes), verifier.checks) == ({ErrorCode.UNAUTHENTICATED}, 3)

    async def test_a_token_refused_while_the_realm_was_unreachable_is_accepted_later(
        self, verifier: CountingKeycloakVerifier, jwks: SwitchableJwks, clock: FixedClock
    ) -> None:
        token = realm_token(clock)
        jwks.down = True
        with pytest.raises(ServiceUnavailable):
            await verifier.verify(token)
        jwks.down = False
        clock.advance(timedelta(seconds=30))  # the next JWKS fetch is allowed

        assert (await verifier.verify(token)).username == "alice"

    async def test_a_not_yet_valid_token_is_accepted_once_valid(
        self, verifier: CountingKeycloakVerifier, clock: FixedClock
    ) -> None:
        token = realm_token(clock, nbf=int(clock.now().timestamp()) + 40)
        code = await refusal(verifier, token)
        clock.advance(timedelta(seconds=10))

        assert (code, (await verifier.verify(token)).username) == (
            ErrorCode.UNAUTHENTICATED,
            "alice",
        )


class TestKeyRotation:
    async def test_a_key_dropped_from_the_jwks_stops_its_tokens_at_once(
        self, verifier: CountingKeycloakVerifier, jwks: SwitchableJwks, clock: FixedClock
    ) -> None:
        old = realm_token(clock)
        await verifier.verify(old)
        jwks.keys = [jwk(ROTATED_KEY, "k2")]
        clock.advance(timedelta(seconds=30))
        # The first token of the new key makes the verifier refetch the JWKS.
        await verifier.verify(realm_token(clock, key=ROTATED_KEY, kid="k2"))

        assert await refusal(verifier, old) == ErrorCode.UNAUTHENTICATED

    async def test_a_key_added_to_the_jwks_keeps_what_was_verified(
        self, verifier: CountingKeycloakVerifier, jwks: SwitchableJwks, clock: FixedClock
    ) -> None:
        current = realm_token(clock)
        await verifier.verify(current)
        jwks.keys.append(jwk(ROTATED_KEY, "k2"))
        clock.advance(timedelta(seconds=30))
        await verifier.verify(realm_token(clock, key=ROTATED_KEY, kid="k2"))

        await verifier.verify(current)

        assert verifier.checks == 2


class TestLocalProvider:
    @pytest.fixture
    def local_clock(self) -> FixedClock:
        return FixedClock(current=SystemClock().now())

    @pytest.fixture
    def provider(self, local_clock: FixedClock) -> CountingLocalProvider:
        return CountingLocalProvider(
            secret=LOCAL_SECRET,
            access_ttl=300,
            refresh_ttl=3600,
            clock=local_clock,
            tokens=SeededTokens(),
            store=InMemoryEphemeralStore(local_clock),
        )

    async def test_a_token_verified_once_is_not_checked_again(
        self, provider: CountingLocalProvider
    ) -> None:
        issued = await provider.issue("alice")

        identities = [await provider.verify(issued.access_token) for _ in range(5)]

        assert (identities, provider.checks) == ([issued.claims] * 5, 1)

    async def test_a_hit_lasts_at_most_max_age(
        self, provider: CountingLocalProvider, local_clock: FixedClock
    ) -> None:
        issued = await provider.issue("alice")
        await provider.verify(issued.access_token)
        local_clock.advance(MAX_AGE - timedelta(seconds=1))
        await provider.verify(issued.access_token)
        checks_within = provider.checks
        local_clock.advance(timedelta(seconds=1))

        await provider.verify(issued.access_token)

        assert (checks_within, provider.checks) == (1, 2)

    async def test_a_hit_ends_at_exp(
        self, provider: CountingLocalProvider, local_clock: FixedClock
    ) -> None:
        issued = await provider.issue("alice")  # exp 300 s from now
        local_clock.advance(timedelta(seconds=290))
        await provider.verify(issued.access_token)
        local_clock.advance(timedelta(seconds=10))

        await provider.verify(issued.access_token)  # pyjwt's leeway still accepts it
        await provider.verify(issued.access_token)

        assert provider.checks == 3

    async def test_a_refused_token_is_checked_every_time(
        self, provider: CountingLocalProvider
    ) -> None:
        forged = jwt.encode({"sub": "local:alice"}, "another-secret-" * 4, algorithm="HS256")

        for _ in range(2):
            with pytest.raises(DomainError):
                await provider.verify(forged)

        assert provider.checks == 2


def test_a_memory_without_room_is_refused() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        VerifiedTokens(FixedClock(), max_entries=0)
