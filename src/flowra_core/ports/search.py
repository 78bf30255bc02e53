"""The search token index (http-api.md "Search"): one entry per searchable text.

An entry stores the words of its text, folded (`app/search/index.py`), so a MongoDB adapter
answers a query from a multikey index on `(workspace_id, tokens)` with
`{workspace_id, kind: {$in}, chat_id: {$in}, tokens: {$all: [/^word/ ...]}}` sorted by
`(created_at, _id)` descending: the cost follows the hits, not the number of messages.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import msgspec


class SearchKind(StrEnum):
    MESSAGE = "message"
    CHAT = "chat"
    TASK = "task"


SearchPosition = tuple[datetime, str]
"""(created_at, id): the newest-first sort key of search results."""


class SearchEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A user message (id = message id) or a chat's title and description (id = chat id;
    kind `chat` for a discussion, `task` for a work item). `version` is the version of the
    source stream the entry reflects."""

    id: str
    kind: SearchKind
    workspace_id: str
    chat_id: str
    author_id: str | None
    created_at: datetime
    text: str
    tokens: tuple[str, ...]
    version: int

    @property
    def position(self) -> SearchPosition:
        return (self.created_at, self.id)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Entries of `workspace_id` whose kind is in `kinds` and whose chat is in `chat_ids`,
    where every one of `words` (folded) starts some token; newest first, strictly before
    `before`, at most `limit`."""

    workspace_id: str
    chat_ids: Collection[str]
    kinds: Collection[SearchKind]
    words: Sequence[str]
    before: SearchPosition | None
    limit: int


class SearchIndex(Protocol):
    """Writes are guarded by `version`: an older or equal version never overwrites a newer
    state, and a removed entry stays removed, so replays are harmless."""

    async def put(self, entry: SearchEntry) -> None:
        """Insert or replace the entry with the same id."""
        ...

    async def revise(
        self, entry_id: str, *, text: str, tokens: Sequence[str], version: int
    ) -> None:
        """New text for an existing entry (an edited message); nothing if it is absent."""
        ...

    async def remove(self, entry_id: str, *, version: int) -> None:
        """Take the entry out of every result."""
        ...

    async def remove_chat(self, chat_id: str) -> None:
        """Take a deleted chat's entry and all its messages out of every result."""
        ...

    async def search(self, query: SearchQuery) -> Sequence[SearchEntry]: ...
