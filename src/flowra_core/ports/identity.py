"""Identity: what a verified credential says about the caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flowra_core.domain.user.events import UserSource


@dataclass(frozen=True, slots=True)
class IdentityClaims:
    """The caller as an identity provider vouches for them (token claims)."""

    external_id: str
    username: str
    email: str | None
    display_name: str | None
    is_system_admin: bool
    source: UserSource


class TokenVerifier(Protocol):
    async def verify(self, token: str) -> IdentityClaims:
        """The claims of a valid access token; DomainError UNAUTHENTICATED for anything
        forged, malformed or for another audience, TOKEN_EXPIRED for an expired one."""
        ...
