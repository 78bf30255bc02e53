"""The local identity provider of the embedded profile: HS256 tokens for any username.

Access tokens are JWTs signed with `auth.jwt_secret` (iss `flowra-local`, aud `flowra`);
refresh tokens are opaque random strings kept in an EphemeralStore, rotated on every use
and revocable. A verified access token is remembered (VerifiedTokens: until its `exp`, at most
60 s) rather than checked again on every request. Refused in production by the settings.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import jwt
import msgspec

from flowra_adapters.verified_tokens import VerifiedToken, VerifiedTokens
from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.user import UserSource
from flowra_core.domain.user.rules import display_name_error, email_error, username_error
from flowra_core.ports.clock import Clock, SecretTokens
from flowra_core.ports.ephemeral import EphemeralStore
from flowra_core.ports.identity import IdentityClaims

ISSUER = "flowra-local"
AUDIENCE = "flowra"
ALGORITHM = "HS256"
ADMIN_ROLE = "admin"
_REFRESH_PREFIX = "flowra:refresh:"


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    claims: IdentityClaims


class _RefreshGrant(msgspec.Struct, frozen=True):
    username: str
    display_name: str | None
    email: str | None
    is_system_admin: bool


def _refresh_key(token: str) -> str:
    # Only a digest is stored: a leaked store does not leak usable tokens.
    return _REFRESH_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def external_id_for(username: str) -> str:
    return f"local:{username.lower()}"


class LocalIdentityProvider:
    def __init__(
        self,
        *,
        secret: str,
        access_ttl: float,
        refresh_ttl: float,
        clock: Clock,
        tokens: SecretTokens,
        store: EphemeralStore,
        verified_tokens: VerifiedTokens | None = None,
    ) -> None:
        self._secret = secret
        self._verified = VerifiedTokens(clock) if verified_tokens is None else verified_tokens
        self._access_ttl = access_ttl
        self._refresh_ttl = refresh_ttl
        self._clock = clock
        self._tokens = tokens
        self._store = store

    async def issue(
        self,
        username: str,
        *,
        display_name: str | None = None,
        email: str | None = None,
        is_system_admin: bool = False,
    ) -> IssuedTokens:
        """Tokens for a username (the dev login); 422 for a username, display name or email
        outside the user rules (domain.md §1)."""
        problems = [
            problem
            for problem in (
                username_error(username),
                None if display_name is None else display_name_error(display_name.strip()),
                None if email is None else email_error(email.strip()),
            )
            if problem is not None
        ]
        if problems:
            raise ValidationFailed(problems)
        grant = _RefreshGrant(username, display_name, email, is_system_admin)
        return await self._issue(grant)

    async def _issue(self, grant: _RefreshGrant) -> IssuedTokens:
        now = self._clock.now()
        claims = IdentityClaims(
            external_id=external_id_for(grant.username),
            username=grant.username,
            email=grant.email or f"{grant.username.lower()}@flowra.local",
            display_name=grant.display_name,
            is_system_admin=grant.is_system_admin,
            source=UserSource.DEV,
        )
        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": claims.external_id,
            "typ": "Bearer",
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self._access_ttl)).timestamp()),
            "jti": self._tokens.new_token(),
            "preferred_username": grant.username,
            "email": claims.email,
            "name": grant.display_name,
            "realm_access": {"roles": [ADMIN_ROLE] if grant.is_system_admin else []},
        }
        access_token = jwt.encode(payload, self._secret, algorithm=ALGORITHM)
        refresh_token = self._tokens.new_token()
        await self._store.put(
            _refresh_key(refresh_token), msgspec.json.encode(grant), self._refresh_ttl
        )
        return IssuedTokens(
            access_token=access_token,
            refresh_token=refresh_token,
            expires_in=int(self._access_ttl),
            refresh_expires_in=int(self._refresh_ttl),
            claims=claims,
        )

    async def refresh(self, refresh_token: str) -> IssuedTokens:
        """New tokens for a live refresh token, which is used up (rotation)."""
        raw = await self._store.take(_refresh_key(refresh_token))
        if raw is None:
            raise DomainError(
                ErrorCode.INVALID_REFRESH_TOKEN, "The refresh token is unknown, used or expired"
            )
        return await self._issue(msgspec.json.decode(raw, type=_RefreshGrant))

    async def revoke(self, refresh_token: str) -> None:
        await self._store.delete(_refresh_key(refresh_token))

    async def verify(self, token: str) -> IdentityClaims:
        identity = self._verified.get(token)
        if identity is None:
            verified = self.verify_uncached(token)
            self._verified.remember(token, verified)
            identity = verified.identity
        return identity

    def verify_uncached(self, token: str) -> VerifiedToken:
        """Every check, whatever was verified before; raises as `verify` does."""
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=30,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise DomainError(ErrorCode.TOKEN_EXPIRED, "The access token has expired") from None
        except jwt.InvalidTokenError:
            raise DomainError(ErrorCode.UNAUTHENTICATED, "The access token is not valid") from None
        username = payload.get("preferred_username")
        if not isinstance(username, str) or payload["sub"] != external_id_for(username):
            raise DomainError(ErrorCode.UNAUTHENTICATED, "The access token is not valid")
        roles = (payload.get("realm_access") or {}).get("roles") or []
        identity = IdentityClaims(
            external_id=payload["sub"],
            username=username,
            email=payload.get("email"),
            display_name=payload.get("name"),
            is_system_admin=ADMIN_ROLE in roles,
            source=UserSource.DEV,
        )
        # pyjwt checked that `exp` is present and a number.
        return VerifiedToken(identity=identity, expires_at=float(payload["exp"]))
