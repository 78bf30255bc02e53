"""Per-user read markers (domain.md §4.2): pure rules; the store upserts them directly.

A marker points at the newest message its user has read in a chat. Positions in a chat are
ordered by `(created_at, id)`, so messages created in the same instant still have an order.
Counts cover top-level messages of other authors after the marker; tombstones are skipped, as
they have nothing left to read.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

import msgspec
from msgspec.structs import replace


class ReadMarker(msgspec.Struct, frozen=True, kw_only=True):
    """`last_read_at` is the creation time of the last read message (None: nothing read)."""

    chat_id: str
    user_id: str
    last_read_message_id: str | None = None
    last_read_at: datetime | None = None


class TimelineMessage(Protocol):
    """What the counts need of a message; `Message` and read-model rows both fit."""

    @property
    def id(self) -> str: ...
    @property
    def author_id(self) -> str: ...
    @property
    def parent_id(self) -> str | None: ...
    @property
    def mentions(self) -> Sequence[str]: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def deleted_at(self) -> datetime | None: ...


def is_after_marker(marker: ReadMarker, message_id: str, message_created_at: datetime) -> bool:
    if marker.last_read_message_id is None or marker.last_read_at is None:
        return True
    return (message_created_at, message_id) > (marker.last_read_at, marker.last_read_message_id)


def advance(marker: ReadMarker, message_id: str, message_created_at: datetime) -> ReadMarker:
    """The marker moved to the message, or `marker` itself when that would move it backwards
    (or nowhere): markers only move forward."""
    if not is_after_marker(marker, message_id, message_created_at):
        return marker
    return replace(marker, last_read_message_id=message_id, last_read_at=message_created_at)


def unread_messages(
    marker: ReadMarker, messages: Iterable[TimelineMessage]
) -> list[TimelineMessage]:
    """The messages that count as unread for the marker's user, in the given order."""
    return [
        message
        for message in messages
        if message.parent_id is None
        and message.deleted_at is None
        and message.author_id != marker.user_id
        and is_after_marker(marker, message.id, message.created_at)
    ]


def count_unread(marker: ReadMarker, messages: Iterable[TimelineMessage]) -> int:
    return len(unread_messages(marker, messages))


def count_unread_mentions(marker: ReadMarker, messages: Iterable[TimelineMessage]) -> int:
    return sum(
        1 for message in unread_messages(marker, messages) if marker.user_id in message.mentions
    )
