"""In-memory read markers with the monotonic upsert of the port."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from flowra_core.domain.message.read_markers import ReadMarker, advance
from flowra_core.ports.read_markers import CountedUnread, CountsToKeep, MarkerReading


class InMemoryReadMarkerStore:
    def __init__(self) -> None:
        self._markers: dict[tuple[str, str], ReadMarker] = {}
        self._counted: dict[tuple[str, str], CountedUnread] = {}

    async def get(self, chat_id: str, user_id: str) -> ReadMarker | None:
        return self._markers.get((chat_id, user_id))

    async def get_many(self, user_id: str, chat_ids: Collection[str]) -> Mapping[str, ReadMarker]:
        found = {chat_id: self._markers.get((chat_id, user_id)) for chat_id in chat_ids}
        return {chat_id: marker for chat_id, marker in found.items() if marker is not None}

    async def advance(self, marker: ReadMarker) -> ReadMarker:
        key = (marker.chat_id, marker.user_id)
        stored = self._markers.get(key)
        if marker.last_read_message_id is None or marker.last_read_at is None:
            return stored if stored is not None else marker
        moved = advance(
            stored if stored is not None else marker,
            marker.last_read_message_id,
            marker.last_read_at,
        )
        if moved != stored:
            self._counted.pop(key, None)
        self._markers[key] = moved
        return moved

    async def readings(
        self, user_id: str, chat_ids: Collection[str]
    ) -> Mapping[str, MarkerReading]:
        return {
            chat_id: MarkerReading(marker, self._counted.get((chat_id, user_id)))
            for chat_id, marker in (await self.get_many(user_id, chat_ids)).items()
        }

    async def keep_counts(self, user_id: str, counts: Collection[CountsToKeep]) -> None:
        for kept in counts:
            key = (kept.chat_id, user_id)
            stored = self._markers.get(key)
            if stored is not None and (stored.last_read_at, stored.last_read_message_id) == (
                kept.last_read_at,
                kept.message_id,
            ):
                self._counted[key] = kept.counted
