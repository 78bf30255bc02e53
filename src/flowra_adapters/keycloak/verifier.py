"""Keycloak access tokens → IdentityClaims (http-api.md §2, provider `keycloak`).

Checks, in order: a JWS with an allowed algorithm (RS256/ES256) and a `kid` of the realm's
JWKS whose algorithm matches; the signature; `iss`; `typ` = Bearer; the audience; the times
(`exp`, `nbf`, `iat`, with leeway, against the injected clock); the identity claims. Only a
token that passed every other check is reported as expired (TOKEN_EXPIRED); anything else is
UNAUTHENTICATED.

A token that passed is remembered for a while (VerifiedTokens: until its `exp`, at most 60 s)
and not checked again on its next requests; the memory is cleared whenever a JWKS fetch no
longer lists a key it listed before, so a key rotated out stops being honoured at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import jwt

from flowra_adapters.keycloak.jwks import ALLOWED_ALGORITHMS, JwksCache, JwksSource, signing_keys
from flowra_adapters.verified_tokens import VerifiedToken, VerifiedTokens
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.domain.user import UserSource
from flowra_core.ports.clock import Clock
from flowra_core.ports.identity import IdentityClaims

LEEWAY = timedelta(seconds=30)
ADMIN_ROLES = frozenset({"admin", "system-admin"})
_ACCESS_TYP = "Bearer"
_DECODE_OPTIONS: jwt.types.Options = {
    "verify_signature": True,
    "verify_iss": True,
    "verify_aud": False,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "enforce_minimum_key_length": True,
    "require": ["iss", "sub", "exp", "iat"],
}


def _invalid(reason: str) -> DomainError:
    return DomainError(ErrorCode.UNAUTHENTICATED, f"The access token is not valid: {reason}")


class _KeyRemovalWatch:
    """A JwksSource that passes the JWK Set through and calls `on_removal` when a fetch no
    longer lists a signing key the previous successful fetch listed."""

    def __init__(self, source: JwksSource, on_removal: Callable[[], None]) -> None:
        self._source = source
        self._on_removal = on_removal
        self._kids: frozenset[str] = frozenset()

    async def fetch(self) -> Mapping[str, Any]:
        document = await self._source.fetch()
        # A document that is no JWK Set raises here just as it would in JwksCache.
        kids = frozenset(signing_keys(document))
        if self._kids - kids:
            self._on_removal()
        self._kids = kids
        return document


class KeycloakTokenVerifier:
    def __init__(
        self,
        *,
        jwks: JwksSource,
        issuer: str,
        client_id: str,
        audience: str = "",
        refresh_interval: float,
        clock: Clock,
        leeway: timedelta = LEEWAY,
        verified_tokens: VerifiedTokens | None = None,
    ) -> None:
        self._verified = VerifiedTokens(clock) if verified_tokens is None else verified_tokens
        watched = _KeyRemovalWatch(jwks, on_removal=self._verified.clear)
        self._keys = JwksCache(watched, refresh_interval=refresh_interval, clock=clock)
        self._issuer = issuer
        self._client_id = client_id
        self._audience = audience
        self._clock = clock
        self._leeway = leeway.total_seconds()

    @property
    def last_refresh_failed(self) -> bool:
        """Whether the latest JWKS fetch failed (identity_provider health: degraded)."""
        return self._keys.last_refresh_failed

    async def refresh_keys(self) -> None:
        """Fetch the JWKS now (startup warm-up); ServiceUnavailable when that fails."""
        await self._keys.refresh()

    async def verify(self, token: str) -> IdentityClaims:
        identity = self._verified.get(token)
        if identity is None:
            verified = await self.verify_uncached(token)
            self._verified.remember(token, verified)
            identity = verified.identity
        return identity

    async def verify_uncached(self, token: str) -> VerifiedToken:
        """Every check, whatever was verified before; raises as `verify` does."""
        payload = await self._verified_payload(token)
        self._check_type_and_audience(payload)
        expires_at = self._check_times(payload)
        return VerifiedToken(identity=_identity(payload), expires_at=expires_at)

    async def _verified_payload(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _invalid("not a JWS") from None
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise _invalid(f"algorithm {algorithm!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _invalid("no key id")
        key = await self._keys.key(kid)
        if key is None:
            raise _invalid("signed with a key the realm does not publish")
        if key.algorithm_name != algorithm:
            raise _invalid(f"algorithm {algorithm!r} does not match the key")
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                issuer=self._issuer,
                options=_DECODE_OPTIONS,
            )
        except jwt.InvalidIssuerError:
            raise _invalid("issued by another issuer") from None
        except jwt.PyJWTError as error:
            raise _invalid(str(error)) from None
        return payload

    def _check_type_and_audience(self, payload: Mapping[str, Any]) -> None:
        # ID and refresh tokens carry typ ID / Refresh: they are not credentials for the API.
        if payload.get("typ") != _ACCESS_TYP:
            raise _invalid(f"token type {payload.get('typ')!r} is not {_ACCESS_TYP}")
        audiences = _audiences(payload.get("aud"))
        if self._audience:
            if self._audience not in audiences:
                raise _invalid("issued for another audience")
        elif payload.get("azp") != self._client_id and self._client_id not in audiences:
            raise _invalid("issued for another client")

    def _check_times(self, payload: Mapping[str, Any]) -> float:
        """The token's `exp`, once the times are fine."""
        now = self._clock.now().timestamp()
        expires_at = _timestamp(payload, "exp")
        not_before = _timestamp(payload, "nbf")
        issued_at = _timestamp(payload, "iat")
        if not_before is not None and not_before > now + self._leeway:
            raise _invalid("not valid yet")
        if issued_at is not None and issued_at > now + self._leeway:
            raise _invalid("issued in the future")
        if expires_at is None:  # `exp` is required by the decoding above
            raise _invalid("no `exp`")
        if expires_at <= now - self._leeway:
            raise DomainError(ErrorCode.TOKEN_EXPIRED, "The access token has expired")
        return expires_at


def _audiences(claim: object) -> list[str]:
    if isinstance(claim, str):
        return [claim]
    if isinstance(claim, list):
        return [entry for entry in claim if isinstance(entry, str)]
    return []


def _timestamp(payload: Mapping[str, Any], claim: str) -> float | None:
    value = payload.get(claim)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(f"`{claim}` is not a number")
    return float(value)


def _identity(payload: Mapping[str, Any]) -> IdentityClaims:
    subject = payload.get("sub")
    username = payload.get("preferred_username")
    if not isinstance(subject, str) or not subject:
        raise _invalid("no subject")
    if not isinstance(username, str) or not username:
        raise _invalid("no preferred_username")
    realm_access = payload.get("realm_access")
    roles = realm_access.get("roles") if isinstance(realm_access, dict) else None
    return IdentityClaims(
        external_id=subject,
        username=username,
        email=_optional_text(payload, "email"),
        display_name=_optional_text(payload, "name"),
        is_system_admin=isinstance(roles, list) and any(role in ADMIN_ROLES for role in roles),
        source=UserSource.LOGIN,
    )


def _optional_text(payload: Mapping[str, Any], claim: str) -> str | None:
    value = payload.get(claim)
    return value if isinstance(value, str) and value else None
