"""In-memory chat documents."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from flowra_core.domain.chat.state import Chat
from flowra_core.testing.state_store import InMemoryStateStore


class InMemoryChatStore(InMemoryStateStore[Chat]):
    def __init__(self) -> None:
        super().__init__()
        self._last_message_at: dict[str, datetime] = {}

    async def get_many(self, chat_ids: Collection[str]) -> Mapping[str, Chat]:
        wanted = set(chat_ids)
        return {chat.id: chat for chat in self.values() if chat.id in wanted}

    async def set_last_message_at(self, chat_id: str, at: datetime | None) -> None:
        if at is None:
            self._last_message_at.pop(chat_id, None)
        else:
            self._last_message_at[chat_id] = at

    async def last_message_at(self, chat_ids: Collection[str]) -> Mapping[str, datetime]:
        return {c: self._last_message_at[c] for c in chat_ids if c in self._last_message_at}

    async def ids_with_participant(self, workspace_id: str, user_id: str) -> Sequence[str]:
        return [
            chat.id
            for chat in self.values()
            if chat.workspace_id == workspace_id
            and not chat.is_deleted
            and chat.is_participant(user_id)
        ]

    async def readable_ids(self, workspace_id: str, user_id: str | None) -> Sequence[str]:
        return [
            chat.id
            for chat in self.values()
            if chat.workspace_id == workspace_id
            and not chat.is_deleted
            and (user_id is None or chat.is_public or chat.is_participant(user_id))
        ]
