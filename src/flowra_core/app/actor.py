"""Who is acting: every use case takes one."""

from __future__ import annotations

from dataclasses import dataclass

from flowra_core.domain.tokens import TokenScope


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: str
    is_system_admin: bool = False
    # The scopes of the API token the caller authenticated with; None for a login (all rights).
    scopes: frozenset[TokenScope] | None = None
    token_id: str | None = None
