"""The event journal: one commit document per command (operations.md §4)."""

from __future__ import annotations

from collections.abc import Sequence
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


class EventStore(Protocol):
    async def append(self, commit: Commit) -> None:
        """Store the commit atomically; ConcurrencyConflict if base_version is taken."""
        ...

    async def read_stream(
        self, aggregate_id: str, *, after_version: int = 0
    ) -> Sequence[EventEnvelope]:
        """The aggregate's events with version > after_version, in version order."""
        ...

    async def unpublished(self, *, recorded_before: datetime, limit: int) -> Sequence[Commit]:
        """Commits not yet published, recorded before the cut-off, in (recorded_at, version)
        order: the relay's work list."""
        ...

    async def mark_published(self, commit_id: str, at: datetime) -> None: ...

    async def unprojected(self, *, recorded_before: datetime, limit: int) -> Sequence[Commit]:
        """Commits whose projections were not confirmed: the catch-up job's work list."""
        ...

    async def mark_projected(self, commit_id: str, at: datetime) -> None: ...
