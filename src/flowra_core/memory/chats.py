"""In-memory chat documents and their list queries (the same semantics as the Mongo adapter:
filters, keyset order with the id as tie-break, `after` exclusive)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime

from flowra_core.domain.chat.state import Chat
from flowra_core.domain.chat.vocabulary import StatusCategory
from flowra_core.memory.state_store import InMemoryStateStore
from flowra_core.ports.chats import (
    ChatListQuery,
    ChatRecord,
    SortKey,
    SortOrder,
    TaskQuery,
    chat_order,
    is_overdue,
    task_order,
)


class InMemoryChatStore(InMemoryStateStore[Chat]):
    def __init__(self) -> None:
        super().__init__()
        self._last_message_at: dict[str, datetime] = {}
        self._timeline_versions: Counter[str] = Counter()

    async def get_many(self, chat_ids: Collection[str]) -> Mapping[str, Chat]:
        return self.known(chat_ids)

    async def raise_last_message_at(self, chat_id: str, at: datetime) -> None:
        self._timeline_versions[chat_id] += 1
        current = self._last_message_at.get(chat_id)
        self._last_message_at[chat_id] = at if current is None else max(current, at)

    async def set_last_message_at(self, chat_id: str, at: datetime | None) -> None:
        self._timeline_versions[chat_id] += 1
        if at is None:
            self._last_message_at.pop(chat_id, None)
        else:
            self._last_message_at[chat_id] = at

    async def timeline_changed(self, chat_id: str) -> None:
        self._timeline_versions[chat_id] += 1

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
            for chat in self._live(workspace_id)
            if user_id is None or chat.is_public or chat.is_participant(user_id)
        ]

    async def list_chats(
        self, query: ChatListQuery, *, after: SortKey | None, limit: int
    ) -> Sequence[ChatRecord]:
        rows = (
            self._record(chat)
            for chat in self._readable(query.workspace_id, query.reader_id)
            if _chat_matches(chat, query)
        )
        return _page(rows, chat_order(query.sort), after, limit)

    async def list_tasks(
        self, query: TaskQuery, *, after: SortKey | None, limit: int
    ) -> Sequence[ChatRecord]:
        rows = (self._record(chat) for chat in self._tasks(query))
        return _page(rows, task_order(query.sort), after, limit)

    async def count_tasks(self, query: TaskQuery) -> int:
        return sum(1 for _ in self._tasks(query))

    async def count_tasks_by_category(self, query: TaskQuery) -> Mapping[StatusCategory, int]:
        counts = Counter(chat.category for chat in self._tasks(query))
        return {category: n for category, n in counts.items() if category is not None}

    def _live(self, workspace_id: str) -> Iterable[Chat]:
        return (c for c in self.values() if c.workspace_id == workspace_id and not c.is_deleted)

    def _readable(self, workspace_id: str, reader_id: str | None) -> Iterable[Chat]:
        return (
            chat
            for chat in self._live(workspace_id)
            if reader_id is None or chat.is_public or chat.is_participant(reader_id)
        )

    def _tasks(self, query: TaskQuery) -> Iterable[Chat]:
        return (
            chat
            for chat in self._readable(query.workspace_id, query.reader_id)
            if chat.is_typed and _task_matches(chat, query)
        )

    def _record(self, chat: Chat) -> ChatRecord:
        return ChatRecord(
            chat, self._last_message_at.get(chat.id), self._timeline_versions[chat.id]
        )


def _contains(text: str, needle: str) -> bool:
    return needle.lower() in text.lower()


def _chat_matches(chat: Chat, query: ChatListQuery) -> bool:
    return (
        (query.types is None or chat.type in query.types)
        and (query.title_contains is None or _contains(chat.title, query.title_contains))
        and (query.participant_id is None or chat.is_participant(query.participant_id))
    )


def _task_matches(chat: Chat, query: TaskQuery) -> bool:
    text = query.text_contains
    checks = (
        query.types is None or chat.type in query.types,
        query.statuses is None or chat.status in query.statuses,
        query.categories is None or chat.category in query.categories,
        query.assignees is None or query.assignees.matches(chat.assignee_id),
        query.priorities is None or query.priorities.matches(chat.priority),
        query.severities is None or chat.severity in query.severities,
        query.created_by is None or chat.created_by in query.created_by,
        query.overdue is None or is_overdue(chat, query.now) is query.overdue,
        text is None or _contains(chat.title, text) or _contains(chat.description, text),
    )
    return all(checks)


def _page(
    rows: Iterable[ChatRecord], order: SortOrder, after: SortKey | None, limit: int
) -> list[ChatRecord]:
    ordered = sorted(rows, key=order.key, reverse=order.descending)
    if after is not None:
        if order.descending:
            ordered = [row for row in ordered if order.key(row) < after]
        else:
            ordered = [row for row in ordered if order.key(row) > after]
    return ordered[:limit]
