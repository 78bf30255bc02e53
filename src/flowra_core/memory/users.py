"""In-memory user documents.

`by_external_id` and `by_username` go through indexes kept on save, as the Mongo adapter's
unique indexes serve them, instead of scanning every user on each request. Should two users
share a key (Mongo refuses the second; this store does not check), the first one stored wins,
as a scan in storage order would find it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from flowra_core.domain.user.bot import is_flowra_bot
from flowra_core.domain.user.state import User
from flowra_core.memory.state_store import InMemoryStateStore


class InMemoryUserStore(InMemoryStateStore[User]):
    def __init__(self) -> None:
        super().__init__()
        # Key -> ids of the users that hold it now (one, unless a key is shared).
        self._by_external_id: dict[str, set[str]] = {}
        self._by_username: dict[str, set[str]] = {}
        self._storage_order: dict[str, int] = {}

    async def save(self, state: User) -> None:
        before = await self.get(state.id)
        await super().save(state)
        after = await self.get(state.id)
        if after is None or after is before:
            return  # an older or equal version: nothing was written
        self._storage_order.setdefault(state.id, len(self._storage_order))
        if before is not None:
            _drop(self._by_external_id, before.external_id, state.id)
            _drop(self._by_username, before.username.lower(), state.id)
        self._by_external_id.setdefault(after.external_id, set()).add(state.id)
        self._by_username.setdefault(after.username.lower(), set()).add(state.id)

    def _first(self, holders: set[str] | None) -> User | None:
        if not holders:
            return None
        return self._states[min(holders, key=self._storage_order.__getitem__)]

    async def by_external_id(self, external_id: str) -> User | None:
        return self._first(self._by_external_id.get(external_id))

    async def by_username(self, username: str) -> User | None:
        return self._first(self._by_username.get(username.lower()))

    async def get_many(self, user_ids: Collection[str]) -> Mapping[str, User]:
        return self.known(user_ids)

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


def _drop(index: dict[str, set[str]], key: str, user_id: str) -> None:
    holders = index.get(key)
    if holders is not None:
        holders.discard(user_id)
        if not holders:
            del index[key]


def _order(user: User) -> tuple[str, str]:
    return (user.username.lower(), user.id)


def _matches(user: User, needle: str) -> bool:
    return any(needle in text.lower() for text in (user.username, user.display_name, user.email))
