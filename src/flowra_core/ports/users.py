"""User documents and the look-ups authentication and @mentions need."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from flowra_core.domain.user.state import User
from flowra_core.ports.state_store import StateStore


class UserStore(StateStore[User], Protocol):
    async def by_external_id(self, external_id: str) -> User | None: ...

    async def by_username(self, username: str) -> User | None:
        """Case-insensitive exact match."""
        ...

    async def get_many(self, user_ids: Collection[str]) -> Mapping[str, User]:
        """The users that exist among `user_ids`, by id."""
        ...

    async def search(
        self,
        *,
        q: str | None,
        among: Collection[str] | None,
        after: tuple[str, str] | None,
        limit: int,
    ) -> Sequence[User]:
        """Users ordered by (lowercased username, id) after `after`; `q` is a
        case-insensitive substring of username, display name or email; `among` limits the
        ids (None = everyone). Flowra Bot is never returned."""
        ...
