"""Message documents and the timeline queries served from them (operations.md §6 `messages`).

Positions in a chat are `(created_at, id)`: every list is ordered by that key and pages
continue strictly after (or before) the position of the last row served, so the index
(chat_id, parent_id, created_at, _id) answers each query in O(page).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple, Protocol

import msgspec

from flowra_core.domain.message.state import Message
from flowra_core.ports.state_store import StateStore

Position = tuple[datetime, str]
"""`(created_at, id)` of a message: its place in the chat's order."""


class ThreadStats(msgspec.Struct, frozen=True, kw_only=True):
    """What a top-level message shows of its thread; deleted replies are not counted."""

    reply_count: int = 0
    last_reply_at: datetime | None = None


class Threaded(NamedTuple):
    """A top-level message with its thread stats, as one timeline row."""

    message: Message
    thread: ThreadStats


class UnreadCounts(msgspec.Struct, frozen=True, kw_only=True):
    unread: int = 0
    mentions: int = 0


class MessageStore(StateStore[Message], Protocol):
    async def top_level(
        self, chat_id: str, *, before: Position | None, limit: int
    ) -> Sequence[Message]:
        """Top-level messages of the chat, tombstones included, newest first, strictly
        before `before` (None: from the newest)."""
        ...

    async def top_level_threaded(
        self, chat_id: str, *, before: Position | None, limit: int
    ) -> Sequence[Threaded]:
        """`top_level` with each message's thread stats, read in the same query (the stats
        are kept on the message itself)."""
        ...

    async def replies(
        self, chat_id: str, parent_id: str, *, after: Position | None, limit: int
    ) -> Sequence[Message]:
        """Replies to `parent_id`, tombstones included, oldest first, strictly after `after`."""
        ...

    async def replies_newest_first(
        self, chat_id: str, parent_id: str, *, before: Position | None, limit: int
    ) -> Sequence[Message]:
        """`replies` walked the other way: newest first, strictly before `before` (None: from
        the newest), so a long thread opens on its latest replies."""
        ...

    async def newest_top_level(self, chat_id: str) -> Message | None:
        """The newest top-level message of the chat of any type, tombstones included."""
        ...

    async def newest_live_top_level_at(self, chat_id: str) -> datetime | None:
        """`created_at` of the newest top-level message that is not deleted."""
        ...

    async def refresh_thread_stats(self, chat_id: str, parent_id: str) -> None:
        """Recompute the parent's thread stats from its stored replies (idempotent: replays
        and concurrent projections converge on the same numbers)."""
        ...

    async def thread_stats(self, message_ids: Collection[str]) -> Mapping[str, ThreadStats]:
        """The stats of those messages that have had replies; absent ids have none."""
        ...

    async def unread_counts(
        self, chat_id: str, user_id: str, *, after: Position | None
    ) -> UnreadCounts:
        """Counts over the top-level, non-deleted messages strictly after `after` (None: all)
        that the user did not cause: neither authored (`author_id`) nor summarised as their
        own changes (`actor_id`). `mentions` counts those mentioning the user. Costs
        O(messages after `after`)."""
        ...

    async def unread_counts_many(
        self, user_id: str, after: Mapping[str, Position | None], *, mentions: bool
    ) -> Mapping[str, UnreadCounts]:
        """`unread_counts` of several chats at once (chat id → the position counted after),
        in one query per count (two with `mentions`, else `mentions` is 0); chats with
        nothing to count may be absent."""
        ...


class SummaryPhrase(msgspec.Struct, frozen=True, kw_only=True):
    """One phrase of a change summary; `field` names the chat field it reports (None for
    phrases that never replace one another, like `added Bob`)."""

    field: str | None
    text: str


class SummaryDraft(msgspec.Struct, frozen=True, kw_only=True):
    """The phrases behind a change summary's text, kept so a later change within the merge
    window can replace a field's phrase in place. `content` is the text they rendered: a
    draft whose content differs from the message's is stale and ignored."""

    message_id: str
    content: str
    phrases: tuple[SummaryPhrase, ...]


class SummaryDraftStore(Protocol):
    async def get(self, message_id: str) -> SummaryDraft | None: ...

    async def save(self, draft: SummaryDraft) -> None:
        """Store the draft, replacing the previous one of the same message."""
        ...
