"""Chat documents: the chat state plus the activity fields that follow its messages."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from flowra_core.domain.chat.state import Chat
from flowra_core.ports.state_store import StateStore


class ChatStore(StateStore[Chat], Protocol):
    async def get_many(self, chat_ids: Collection[str]) -> Mapping[str, Chat]: ...

    async def set_last_message_at(self, chat_id: str, at: datetime | None) -> None:
        """Time of the newest non-deleted message (a projection of message events)."""
        ...

    async def last_message_at(self, chat_ids: Collection[str]) -> Mapping[str, datetime]:
        """The known times for the chats that have messages."""
        ...

    async def ids_with_participant(self, workspace_id: str, user_id: str) -> Sequence[str]:
        """Live chats of the workspace where the user is a participant."""
        ...

    async def readable_ids(self, workspace_id: str, user_id: str | None) -> Sequence[str]:
        """Live chats of the workspace the user may read as a member: public ones and those
        they take part in. `None` means every live chat (a system admin)."""
        ...
