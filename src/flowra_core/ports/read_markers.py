"""Read markers (domain.md §4.2): per-user state written directly, not journaled."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import NamedTuple, Protocol

import msgspec

from flowra_core.domain.message.read_markers import ReadMarker


class CountedUnread(msgspec.Struct, frozen=True, kw_only=True):
    """Unread and mention counts after a marker, remembered on the marker: valid while the
    marker stays where it was and the chat's `timeline_version` is still this one."""

    timeline_version: int
    unread: int
    mentions: int


class MarkerReading(NamedTuple):
    """A user's marker in one chat (None: never read) and the counts remembered on it."""

    marker: ReadMarker | None
    counted: CountedUnread | None


class CountsToKeep(NamedTuple):
    """Counts to remember for the marker that was at (`last_read_at`, `message_id`)."""

    chat_id: str
    last_read_at: datetime | None
    message_id: str | None
    counted: CountedUnread


class ReadMarkerStore(Protocol):
    async def get(self, chat_id: str, user_id: str) -> ReadMarker | None: ...

    async def get_many(self, user_id: str, chat_ids: Collection[str]) -> Mapping[str, ReadMarker]:
        """The user's markers in those chats, by chat id (chats never read are absent)."""
        ...

    async def advance(self, marker: ReadMarker) -> ReadMarker:
        """Monotonic upsert: store `marker` unless the stored one is at or after its position
        (`(last_read_at, last_read_message_id)`); return the marker stored afterwards. A
        marker that moves forgets its remembered counts."""
        ...

    async def readings(
        self, user_id: str, chat_ids: Collection[str]
    ) -> Mapping[str, MarkerReading]:
        """`get_many` with the remembered counts, in one look-up; chats never read and
        without remembered counts are absent."""
        ...

    async def keep_counts(self, user_id: str, counts: Collection[CountsToKeep]) -> None:
        """Remember counts on markers still at the position they were counted after (a
        marker that moved meanwhile is left alone). A chat never read has no marker to hold
        them: its counts are not remembered."""
        ...
