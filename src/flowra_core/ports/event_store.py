"""The event journal: one commit document per command (operations.md §4)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class PendingPublication:
    """A commit the relay must (re)publish, with the failed attempts so far."""

    commit: Commit
    attempts: int


@dataclass(frozen=True, slots=True)
class JournalBacklog:
    """What is waiting for the relay and the catch-up (health and metrics)."""

    unpublished: int
    oldest_unpublished_at: datetime | None
    stuck: int
    unprojected: int
    oldest_unprojected_at: datetime | None
    undispatched: int
    oldest_undispatched_at: datetime | None


class EventStore(Protocol):
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

    async def due_for_publication(
        self, *, recorded_before: datetime, now: datetime, limit: int
    ) -> Sequence[PendingPublication]:
        """Commits not yet published, recorded before the cut-off and not backing off
        (`next_attempt_at` null or ≤ now), in (recorded_at, commit) order: the relay's list."""
        ...

    async def record_publish_failure(
        self, commit_id: str, *, attempts: int, next_attempt_at: datetime, error: str
    ) -> None: ...

    async def backlog(self, *, stuck_after_attempts: int) -> JournalBacklog: ...

    async def mark_published(self, commit_id: str, at: datetime) -> None: ...

    async def stuck(self, *, stuck_after_attempts: int, limit: int) -> Sequence[PendingPublication]:
        """Unpublished commits that failed at least `stuck_after_attempts` times, back-off or
        not, in journal order: the relay's parked commits, for operators to see and replay."""
        ...

    async def unprojected(self, *, recorded_before: datetime, limit: int) -> Sequence[Commit]:
        """Commits whose projections were not confirmed: the catch-up job's work list."""
        ...

    async def mark_projected(self, commit_id: str, at: datetime) -> None: ...

    async def undispatched(self, *, recorded_before: datetime, limit: int) -> Sequence[Commit]:
        """Commits the dispatch consumer has not confirmed: the dispatch sweep's work list."""
        ...

    async def mark_dispatched(self, commit_id: str, at: datetime) -> None: ...

    async def mark_dispatched_through(self, aggregate_id: str, version: int, at: datetime) -> None:
        """Mark dispatched the aggregate's commit whose LAST event has `version`; nothing when
        the version is inside a commit (its later events are still on their way) or unknown.
        Served by the unique (aggregate_id, base_version) index."""
        ...

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
