"""Read markers (domain.md §4.2): per-user state written directly, not journaled."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol

from flowra_core.domain.message.read_markers import ReadMarker


class ReadMarkerStore(Protocol):
    async def get(self, chat_id: str, user_id: str) -> ReadMarker | None: ...

    async def get_many(self, user_id: str, chat_ids: Collection[str]) -> Mapping[str, ReadMarker]:
        """The user's markers in those chats, by chat id (chats never read are absent)."""
        ...

    async def advance(self, marker: ReadMarker) -> ReadMarker:
        """Monotonic upsert: store `marker` unless the stored one is at or after its position
        (`(last_read_at, last_read_message_id)`); return the marker stored afterwards."""
        ...
