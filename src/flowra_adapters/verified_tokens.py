"""A bounded memory of access tokens that passed verification.

A client sends the same access token with every request; verifying its signature and claims
each time is most of the CPU an authenticated request costs. A token that passed is remembered
until its `exp` or `max_age` (60 s) after it was verified, whichever comes first, so:

- an expired token is verified again, and refused, as without the memory;
- a token whose signing key was rotated out is refused at most `max_age` later (the Keycloak
  verifier also forgets everything as soon as a JWKS fetch drops a key);
- failures are never remembered: a refused token is checked again on its next use.

At most `max_entries` tokens are kept, the least recently used leaving first. Entries are
keyed by the token's SHA-256 digest, so the memory holds no usable credential.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from cachetools import TLRUCache

from flowra_core.ports.clock import Clock
from flowra_core.ports.identity import IdentityClaims

MAX_ENTRIES = 10_000
MAX_AGE = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """What a full verification established: the identity, and the token's `exp` (epoch s)."""

    identity: IdentityClaims
    expires_at: float


class VerifiedTokens:
    def __init__(
        self, clock: Clock, *, max_entries: int = MAX_ENTRIES, max_age: timedelta = MAX_AGE
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max_age = max_age.total_seconds()
        self._entries: TLRUCache[bytes, VerifiedToken, float] = TLRUCache(
            max_entries, ttu=self._usable_until, timer=lambda: clock.now().timestamp()
        )

    def get(self, token: str) -> IdentityClaims | None:
        """The identity of a token verified recently and not expired since, else None."""
        verified = self._entries.get(_digest(token))
        return None if verified is None else verified.identity

    def remember(self, token: str, verified: VerifiedToken) -> None:
        """Keep the outcome of a successful verification (an expired one is not kept)."""
        self._entries[_digest(token)] = verified

    def clear(self) -> None:
        self._entries.clear()

    def _usable_until(self, _digest: bytes, verified: VerifiedToken, now: float) -> float:
        return min(verified.expires_at, now + self._max_age)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
