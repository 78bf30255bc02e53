"""In-memory presence: connection counts per user, fed by the (in-process) gateway."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import datetime


class InMemoryPresence:
    def __init__(self) -> None:
        self._connections: Counter[str] = Counter()
        self._last_seen: dict[str, datetime] = {}

    def connected(self, user_id: str) -> bool:
        """Count a connection; True when it is the user's first (they came online)."""
        self._connections[user_id] += 1
        return self._connections[user_id] == 1

    def disconnected(self, user_id: str, at: datetime) -> bool:
        """Drop a connection; True when it was the user's last (they went offline)."""
        self._connections[user_id] -= 1
        if self._connections[user_id] > 0:
            return False
        del self._connections[user_id]
        self._last_seen[user_id] = at
        return True

    async def online(self, user_ids: Collection[str]) -> set[str]:
        return {user_id for user_id in user_ids if self._connections[user_id] > 0}

    async def last_seen(self, user_ids: Collection[str]) -> dict[str, datetime]:
        return {u: self._last_seen[u] for u in user_ids if u in self._last_seen}
