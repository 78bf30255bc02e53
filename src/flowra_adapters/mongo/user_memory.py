"""A per-process memory of recently read users, for the look-ups every request makes.

The caller of each request is found by `external_id`, and the authors of a message page by id.
Remembering them for a few seconds takes those reads off the hot path. How stale it may be:

- a user written through this process is forgotten at once (the store forgets on `save`);
- a change made by another process (a deactivation by the user sync, a renamed display name)
  is seen at the latest `MAX_AGE` (10 s) later: a deactivated user is refused by every
  instance within 10 s, and an author's new name shows on other instances within 10 s;
- an absence is never remembered, so a user created elsewhere is found at once.

At most `MAX_ENTRIES` users are kept, the least recently used leaving first.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from cachetools import TTLCache

from flowra_core.domain.user.state import User

MAX_ENTRIES = 10_000
MAX_AGE_SECONDS = 10.0


class UserMemory:
    def __init__(
        self, *, max_entries: int = MAX_ENTRIES, max_age_seconds: float = MAX_AGE_SECONDS
    ) -> None:
        self._by_id: TTLCache[str, User] = TTLCache(max_entries, max_age_seconds)
        # external id → user id never changes for a user, but is kept as long as its user.
        self._ids: TTLCache[str, str] = TTLCache(max_entries, max_age_seconds)

    def by_external_id(self, external_id: str) -> User | None:
        user_id = self._ids.get(external_id)
        return None if user_id is None else self._by_id.get(user_id)

    def get_many(self, user_ids: Collection[str]) -> tuple[dict[str, User], list[str]]:
        """The remembered users among `user_ids`, and the ids to read."""
        known: dict[str, User] = {}
        missing: list[str] = []
        for user_id in set(user_ids):
            user = self._by_id.get(user_id)
            if user is None:
                missing.append(user_id)
            else:
                known[user_id] = user
        return known, missing

    def remember(self, users: Iterable[User]) -> None:
        for user in users:
            self._by_id[user.id] = user
            self._ids[user.external_id] = user.id

    def forget(self, user: User) -> None:
        self._by_id.pop(user.id, None)
        self._ids.pop(user.external_id, None)

    def clear(self) -> None:
        self._by_id.clear()
        self._ids.clear()
