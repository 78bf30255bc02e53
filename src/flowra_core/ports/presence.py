"""Who is connected right now (fed by the WebSocket gateway)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol


class PresenceReader(Protocol):
    async def online(self, user_ids: Collection[str]) -> set[str]:
        """The subset of `user_ids` with at least one open connection anywhere."""
        ...

    async def last_seen(self, user_ids: Collection[str]) -> dict[str, datetime]:
        """When each user (among those known) last disconnected."""
        ...
