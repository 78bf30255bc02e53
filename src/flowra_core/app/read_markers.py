"""Read markers (domain.md §4.2, http-api.md `C/read`) and the unread counts of chat lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.app.chat_access import ChatAccess
from flowra_core.domain.chat import Chat
from flowra_core.domain.errors import ValidationFailed
from flowra_core.domain.message import Message, ReadMarker
from flowra_core.ports.messages import MessageStore, Position
from flowra_core.ports.read_markers import ReadMarkerStore


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
        counts = await self._messages.unread_counts(
            chat_id, actor.user_id, after=marker_position(marker)
        )
        return ReadState(
            chat_id=chat_id,
            last_read_message_id=marker.last_read_message_id if marker is not None else None,
            unread_count=counts.unread,
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

    async def unread_summary(self, user_id: str, chats: Sequence[Chat]) -> dict[str, ChatUnread]:
        """Per chat: unread and mention counts after the user's marker (0 where the user is
        not a participant) and the marker's message id."""
        markers = await self._markers.get_many(user_id, [chat.id for chat in chats])
        summary: dict[str, ChatUnread] = {}
        for chat in chats:
            marker = markers.get(chat.id)
            read_id = marker.last_read_message_id if marker is not None else None
            if not chat.is_participant(user_id):
                summary[chat.id] = ChatUnread(0, 0, read_id)
                continue
            counts = await self._messages.unread_counts(
                chat.id, user_id, after=marker_position(marker)
            )
            summary[chat.id] = ChatUnread(counts.unread, counts.mentions, read_id)
        return summary
