"""API tokens for bots and scripts: scopes, the stored record and the secret's format.

A secret reads `flowra_pat_<token id>_<random>`: the prefix lets secret scanners match it, the
id finds the record by `_id` (one indexed read per request, so a revocation is seen by every
instance on the next request), and only a salted SHA-256 of the random part is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from enum import StrEnum

import msgspec

SECRET_PREFIX = "flowra_pat_"  # noqa: S105 - the public prefix, not a secret
# Bots' external ids, outside both identity providers' subject spaces: no login reaches them.
BOT_EXTERNAL_PREFIX = "bot:"
_TOKEN_ID = re.compile(r"[0-9a-f]{32}")


class TokenScope(StrEnum):
    """Each scope includes the ones before it: `admin` ⊃ `write` ⊃ `read`."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


_RANK = {TokenScope.READ: 0, TokenScope.WRITE: 1, TokenScope.ADMIN: 2}


def allows(granted: frozenset[TokenScope], needed: TokenScope) -> bool:
    return any(_RANK[scope] >= _RANK[needed] for scope in granted)


class ApiToken(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # 32 hex digits, also the middle part of the secret
    user_id: str  # whose rights it carries (a person or a bot)
    name: str
    scopes: tuple[TokenScope, ...]
    salt: str
    secret_hash: str  # hex sha256(salt + random part)
    created_by: str
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class BotProfile(msgspec.Struct, frozen=True, kw_only=True):
    """A bot user of one workspace: a user that cannot log in and acts through its tokens."""

    user_id: str
    workspace_id: str
    name: str
    avatar_letter: str
    created_by: str
    created_at: datetime


def secret_hash(salt: str, random_part: str) -> str:
    return hashlib.sha256(f"{salt}:{random_part}".encode()).hexdigest()


def compose_secret(token_id: str, random_part: str) -> str:
    return f"{SECRET_PREFIX}{token_id}_{random_part}"


def is_token_secret(bearer: str) -> bool:
    return bearer.startswith(SECRET_PREFIX)


def parse_secret(secret: str) -> tuple[str, str] | None:
    """(token id, random part), or None for a string that is not shaped like a secret."""
    body = secret.removeprefix(SECRET_PREFIX)
    token_id, sep, random_part = body.partition("_")
    if not sep or not random_part or _TOKEN_ID.fullmatch(token_id) is None:
        return None
    return token_id, random_part


def matches(token: ApiToken, random_part: str) -> bool:
    """Constant-time comparison of the stored hash with the presented secret's."""
    return hmac.compare_digest(token.secret_hash, secret_hash(token.salt, random_part))
