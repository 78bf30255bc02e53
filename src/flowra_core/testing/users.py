"""In-memory user documents."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from flowra_core.domain.user.bot import is_flowra_bot
from flowra_core.domain.user.state import User
from flowra_core.testing.state_store import InMemoryStateStore


class InMemoryUserStore(InMemoryStateStore[User]):
    async def by_external_id(self, external_id: str) -> User | None:
        return next((u for u in self.values() if u.external_id == external_id), None)

    async def by_username(self, username: str) -> User | None:
        wanted = username.lower()
        return next((u for u in self.values() if u.username.lower() == wanted), None)

    async def get_many(self, user_ids: Collection[str]) -> Mapping[str, User]:
        wanted = set(user_ids)
        return {u.id: u for u in self.values() if u.id in wanted}

    async def search(
        self,
        *,
        q: str | None,
        among: Collection[str] | None,
        after: tuple[str, str] | None,
        limit: int,
    ) -> Sequence[User]:
        needle = q.lower() if q else None
        allowed = set(among) if among is not None else None
        rows = sorted(
            (
                user
                for user in self.values()
                if not is_flowra_bot(user.id)
                and (allowed is None or user.id in allowed)
                and (needle is None or _matches(user, needle))
            ),
            key=_order,
        )
        if after is not None:
            rows = [user for user in rows if _order(user) > after]
        return rows[:limit]


def _order(user: User) -> tuple[str, str]:
    return (user.username.lower(), user.id)


def _matches(user: User, needle: str) -> bool:
    return any(needle in text.lower() for text in (user.username, user.display_name, user.email))
