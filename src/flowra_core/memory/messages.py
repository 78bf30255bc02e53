"""In-memory message documents with the timeline indexes the Mongo adapter gets from
(chat_id, parent_id, created_at, _id), and in-memory summary drafts."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from flowra_core.domain.message.state import Message
from flowra_core.memory.state_store import InMemoryStateStore
from flowra_core.ports.messages import (
    Position,
    SummaryDraft,
    Threaded,
    ThreadStats,
    UnreadCounts,
)


def _position(message: Message) -> Position:
    return (message.created_at, message.id)


class InMemoryMessageStore(InMemoryStateStore[Message]):
    def __init__(self) -> None:
        super().__init__()
        # Positions in ascending order: top-level messages per chat, replies per parent.
        self._top_level: dict[str, list[Position]] = {}
        self._replies: dict[tuple[str, str], list[Position]] = {}
        self._thread_stats: dict[str, ThreadStats] = {}

    async def save(self, state: Message) -> None:
        is_new = await self.get(state.id) is None
        await super().save(state)
        if is_new:
            # Chat, parent and creation time never change, so a message is indexed once.
            if state.parent_id is None:
                insort(self._top_level.setdefault(state.chat_id, []), _position(state))
            else:
                key = (state.chat_id, state.parent_id)
                insort(self._replies.setdefault(key, []), _position(state))

    def _messages(self, positions: Sequence[Position]) -> list[Message]:
        found = [self._states.get(message_id) for _, message_id in positions]
        return [message for message in found if message is not None]

    async def top_level(
        self, chat_id: str, *, before: Position | None, limit: int
    ) -> Sequence[Message]:
        positions = self._top_level.get(chat_id, [])
        end = len(positions) if before is None else bisect_left(positions, before)
        return self._messages(positions[max(0, end - limit) : end][::-1])

    async def top_level_threaded(
        self, chat_id: str, *, before: Position | None, limit: int
    ) -> Sequence[Threaded]:
        rows = await self.top_level(chat_id, before=before, limit=limit)
        return [Threaded(row, self._thread_stats.get(row.id, ThreadStats())) for row in rows]

    async def replies(
        self, chat_id: str, parent_id: str, *, after: Position | None, limit: int
    ) -> Sequence[Message]:
        positions = self._replies.get((chat_id, parent_id), [])
        start = 0 if after is None else bisect_right(positions, after)
        return self._messages(positions[start : start + limit])

    async def replies_newest_first(
        self, chat_id: str, parent_id: str, *, before: Position | None, limit: int
    ) -> Sequence[Message]:
        positions = self._replies.get((chat_id, parent_id), [])
        end = len(positions) if before is None else bisect_left(positions, before)
        return self._messages(positions[max(0, end - limit) : end][::-1])

    async def newest_top_level(self, chat_id: str) -> Message | None:
        positions = self._top_level.get(chat_id, [])
        return self._states.get(positions[-1][1]) if positions else None

    async def newest_live_top_level_at(self, chat_id: str) -> datetime | None:
        # Newest first, lazily: usually the newest message is live and nothing else is read.
        for _, message_id in reversed(self._top_level.get(chat_id, [])):
            message = self._states.get(message_id)
            if message is not None and not message.is_deleted:
                return message.created_at
        return None

    async def refresh_thread_stats(self, chat_id: str, parent_id: str) -> None:
        replies = self._messages(self._replies.get((chat_id, parent_id), []))
        live = [message for message in replies if not message.is_deleted]
        self._thread_stats[parent_id] = ThreadStats(
            reply_count=len(live), last_reply_at=live[-1].created_at if live else None
        )

    async def thread_stats(self, message_ids: Collection[str]) -> Mapping[str, ThreadStats]:
        return {i: self._thread_stats[i] for i in message_ids if i in self._thread_stats}

    async def unread_counts(
        self, chat_id: str, user_id: str, *, after: Position | None
    ) -> UnreadCounts:
        positions = self._top_level.get(chat_id, [])
        start = 0 if after is None else bisect_right(positions, after)
        unread = [
            message
            for message in self._messages(positions[start:])
            if not message.is_deleted and user_id not in (message.author_id, message.actor_id)
        ]
        mentions = sum(1 for message in unread if user_id in message.mentions)
        return UnreadCounts(unread=len(unread), mentions=mentions)

    async def unread_counts_many(
        self, user_id: str, after: Mapping[str, Position | None], *, mentions: bool
    ) -> Mapping[str, UnreadCounts]:
        counted: dict[str, UnreadCounts] = {}
        for chat_id, position in after.items():
            counts = await self.unread_counts(chat_id, user_id, after=position)
            counted[chat_id] = counts if mentions else UnreadCounts(unread=counts.unread)
        return counted


class InMemorySummaryDraftStore:
    def __init__(self) -> None:
        self._drafts: dict[str, SummaryDraft] = {}

    async def get(self, message_id: str) -> SummaryDraft | None:
        return self._drafts.get(message_id)

    async def save(self, draft: SummaryDraft) -> None:
        self._drafts[draft.message_id] = draft
