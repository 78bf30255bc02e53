"""Read markers (domain.md §4.2, http-api.md `C/read`) and the unread counts of chat lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.app.chats.access import ChatAccess
from flowra_core.domain.chat import Chat
from flowra_core.domain.errors import ValidationFailed
from flowra_core.domain.message import Message, ReadMarker
from flowra_core.ports.chats import ChatRecord
from flowra_core.ports.messages import MessageStore, Position, UnreadCounts
from flowra_core.ports.read_markers import (
    CountedUnread,
    CountsToKeep,
    MarkerReading,
    ReadMarkerStore,
)


@dataclass(frozen=True, slots=True)
class ReadState:
    """The answer of `C/read`, also pushed to the user's own connections as `chat.read`."""

    chat_id: str
    last_read_message_id: str | None
    unread_count: int


class ChatUnread(NamedTuple):
    """What a chat summary shows the caller about their reading of a chat."""

    unread_count: int
    mention_count: int
    last_read_message_id: str | None


def marker_position(marker: ReadMarker | None) -> Position | None:
    if marker is None or marker.last_read_message_id is None or marker.last_read_at is None:
        return None
    return (marker.last_read_at, marker.last_read_message_id)


def _marker_at(message: Message, user_id: str) -> ReadMarker:
    return ReadMarker(
        chat_id=message.chat_id,
        user_id=user_id,
        last_read_message_id=message.id,
        last_read_at=message.created_at,
    )


class ReadMarkerService:
    def __init__(
        self, access: ChatAccess, markers: ReadMarkerStore, messages: MessageStore
    ) -> None:
        self._access = access
        self._markers = markers
        self._messages = messages

    async def mark_read(
        self, actor: Actor, workspace_id: str, chat_id: str, message_id: str | None = None
    ) -> ReadState:
        """Move the caller's marker to the message (default: the chat's newest); never
        backwards. 404 chat → 403 NOT_PARTICIPANT → 422 `message_id` not in this chat."""
        _workspace, chat = await self._access.readable(actor, workspace_id, chat_id)
        policy.require_chat_write(chat, actor)
        if message_id is None:
            target = await self._messages.newest_top_level(chat_id)
        else:
            target = await self._messages.get(message_id)
            if target is None or target.chat_id != chat_id:
                raise ValidationFailed.single("message_id", f"no message {message_id} in this chat")
        if target is None:
            marker = await self._markers.get(chat_id, actor.user_id)
        else:
            marker = await self._markers.advance(_marker_at(target, actor.user_id))
        counts = await self._messages.unread_counts_many(
            actor.user_id, {chat_id: marker_position(marker)}, mentions=False
        )
        return ReadState(
            chat_id=chat_id,
            last_read_message_id=marker.last_read_message_id if marker is not None else None,
            unread_count=counts.get(chat_id, _NONE).unread,
        )

    async def read_up_to(
        self, user_id: str, chat_id: str, message_id: str, created_at: datetime
    ) -> None:
        """The user has read the message (and everything before it): never backwards."""
        marker = ReadMarker(
            chat_id=chat_id,
            user_id=user_id,
            last_read_message_id=message_id,
            last_read_at=created_at,
        )
        await self._markers.advance(marker)

    async def unread_summary(
        self,
        user_id: str,
        chats: Sequence[Chat],
        records: Mapping[str, ChatRecord] | None = None,
    ) -> dict[str, ChatUnread]:
        """Per chat: unread and mention counts after the user's marker (0 where the user is
        not a participant) and the marker's message id.

        With the chats' `records` (as lists read them), a chat read past its newest message
        costs nothing, counts remembered on the marker are used while the chat's timeline
        has not changed, and the rest are counted at once and remembered for the next list.
        """
        readings = await self._markers.readings(user_id, [chat.id for chat in chats])
        known: dict[str, UnreadCounts] = {}
        to_count: dict[str, Position | None] = {}
        for chat in chats:
            if not chat.is_participant(user_id):
                continue
            reading = readings.get(chat.id, _NEVER_READ)
            position = marker_position(reading.marker)
            record = (records or {}).get(chat.id)
            if record is None:
                to_count[chat.id] = position
            elif not _may_have_unread(record.last_message_at, position):
                known[chat.id] = _NONE
            elif _still_valid(reading.counted, record):
                assert reading.counted is not None
                known[chat.id] = UnreadCounts(
                    unread=reading.counted.unread, mentions=reading.counted.mentions
                )
            else:
                to_count[chat.id] = position
        if to_count:
            counted = await self._messages.unread_counts_many(user_id, to_count, mentions=True)
            known.update({chat_id: counted.get(chat_id, _NONE) for chat_id in to_count})
            await self._keep(user_id, to_count, known, records or {})
        summary: dict[str, ChatUnread] = {}
        for chat in chats:
            marker = readings.get(chat.id, _NEVER_READ).marker
            read_id = marker.last_read_message_id if marker is not None else None
            counts = known.get(chat.id, _NONE)
            summary[chat.id] = ChatUnread(counts.unread, counts.mentions, read_id)
        return summary

    async def _keep(
        self,
        user_id: str,
        counted: Mapping[str, Position | None],
        known: Mapping[str, UnreadCounts],
        records: Mapping[str, ChatRecord],
    ) -> None:
        """Remember the counts of chats whose timeline version the list read with them."""
        kept: list[CountsToKeep] = []
        for chat_id, position in counted.items():
            record = records.get(chat_id)
            if record is None or record.timeline_version is None:
                continue
            counts = known[chat_id]
            at, message_id = (None, None) if position is None else position
            remembered = CountedUnread(
                timeline_version=record.timeline_version,
                unread=counts.unread,
                mentions=counts.mentions,
            )
            kept.append(CountsToKeep(chat_id, at, message_id, remembered))
        await self._markers.keep_counts(user_id, kept)


_NONE = UnreadCounts()
_NEVER_READ = MarkerReading(None, None)


def _still_valid(counted: CountedUnread | None, record: ChatRecord) -> bool:
    return (
        counted is not None
        and record.timeline_version is not None
        and counted.timeline_version == record.timeline_version
    )


def _may_have_unread(newest: datetime | None, position: Position | None) -> bool:
    """Whether a live top-level message may lie after the marker: the newest one was created
    at `newest`, so nothing lies after a marker placed later than that (a message of the same
    millisecond may still follow the marker's own, so that case is counted)."""
    if newest is None:
        return False
    return position is None or newest >= position[0]
