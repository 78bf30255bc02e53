"""The event journal: one commit document per command (operations.md §4)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

import msgspec

from flowra_core.domain.events import AggregateType, EventEnvelope


class Commit(msgspec.Struct, frozen=True, kw_only=True):
    """All events one command produced for one aggregate, appended atomically.

    `base_version` is the stream version the command read; its events carry versions
    base_version+1 … . (aggregate_id, base_version) is unique: a second writer that read
    the same version gets ConcurrencyConflict.
    """

    commit_id: str
    aggregate_type: AggregateType
    aggregate_id: str
    base_version: int
    workspace_id: str | None
    chat_id: str | None
    actor_id: str | None
    recorded_at: datetime
    events: tuple[EventEnvelope, ...]
    # A change made through the REST API that earns a change summary (tags.md §6); a
    # reaction posts it.
    summarize: bool = False

    @property
    def last_version(self) -> int:
        return self.base_version + len(self.events)


class JournalPosition(msgspec.Struct, frozen=True, kw_only=True):
    """Where one event sits in the journal: its commit, and what places that commit in order."""

    event_id: str
    commit_id: str
    aggregate_type: AggregateType
    version: int
    chat_id: str | None
    recorded_at: datetime


class Journal(Protocol):
    """The append-only journal: the source of truth (design §2.1)."""

    async def append(self, commit: Commit) -> None:
        """Store the commit atomically; ConcurrencyConflict if base_version is taken."""
        ...

    async def read_stream(
        self, aggregate_id: str, *, after_version: int = 0
    ) -> Sequence[EventEnvelope]:
        """The aggregate's events with version > after_version, in version order."""
        ...

    async def stream_commits(self, aggregate_id: str) -> Sequence[Commit]:
        """Every commit of the aggregate, in version order (rebuilds and repairs). Served by
        the unique (aggregate_id, base_version) index."""
        ...

    async def read_stream_backwards(
        self,
        aggregate_id: str,
        *,
        before_version: int | None,
        limit: int,
        event_types: Collection[str] | None = None,
    ) -> Sequence[EventEnvelope]:
        """At most `limit` of the aggregate's events with version < before_version (None: from
        the newest), newest first; only events named in `event_types` when it is given.
        Served by the unique (aggregate_id, base_version) index, scanned downwards."""
        ...

    async def get_commit(self, commit_id: str) -> Commit | None:
        """The commit with that id (by `_id`); None when it was never stored."""
        ...


class ChatResume(Protocol):
    """Where an event sits and what followed it in a chat (websocket.md §5 resume)."""

    async def locate_event(self, event_id: str) -> JournalPosition | None:
        """Where the event is recorded; None for an unknown id. Served by the (events.event_id)
        index."""
        ...

    async def chat_events_after(
        self, position: JournalPosition, *, limit: int
    ) -> Sequence[EventEnvelope]:
        """At most `limit` `chat.*` and `message.*` events of `position.chat_id` recorded after
        the event at `position`, in journal order: by recorded_at, ties in the store's commit
        order (the one `unpublished` uses), a commit's events by version. Served by the
        (chat_id, recorded_at) index from the position's recorded_at on (WebSocket resume)."""
        ...


class EventStore(Journal, ChatResume, Protocol):
    """Both sides, as one adapter provides them."""
