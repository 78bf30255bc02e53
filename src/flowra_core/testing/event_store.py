"""In-memory event journal with the unique (aggregate_id, base_version) rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flowra_core.domain.errors import ConcurrencyConflict
from flowra_core.domain.events import EventEnvelope
from flowra_core.ports.event_store import Commit


@dataclass(slots=True)
class _StoredCommit:
    commit: Commit
    sequence: int
    published_at: datetime | None = None
    projected_at: datetime | None = None


@dataclass
class InMemoryEventStore:
    _commits: list[_StoredCommit] = field(default_factory=list)
    _by_id: dict[str, _StoredCommit] = field(default_factory=dict)
    _streams: dict[str, list[_StoredCommit]] = field(default_factory=dict)

    async def append(self, commit: Commit) -> None:
        stream = self._streams.setdefault(commit.aggregate_id, [])
        if any(stored.commit.base_version == commit.base_version for stored in stream):
            raise ConcurrencyConflict(commit.aggregate_id, commit.base_version)
        if stream and stream[-1].commit.last_version != commit.base_version:
            # A writer that read an older version than the stream's head lost the race.
            raise ConcurrencyConflict(commit.aggregate_id, commit.base_version)
        stored = _StoredCommit(commit, sequence=len(self._commits))
        self._commits.append(stored)
        self._by_id[commit.commit_id] = stored
        stream.append(stored)

    async def read_stream(
        self, aggregate_id: str, *, after_version: int = 0
    ) -> Sequence[EventEnvelope]:
        return [
            envelope
            for stored in self._streams.get(aggregate_id, [])
            for envelope in stored.commit.events
            if envelope.version > after_version
        ]

    async def unpublished(self, *, recorded_before: datetime, limit: int) -> Sequence[Commit]:
        pending = [
            s
            for s in self._commits
            if s.published_at is None and s.commit.recorded_at < recorded_before
        ]
        return [s.commit for s in sorted(pending, key=self._order)[:limit]]

    async def mark_published(self, commit_id: str, at: datetime) -> None:
        self._by_id[commit_id].published_at = at

    async def unprojected(self, *, recorded_before: datetime, limit: int) -> Sequence[Commit]:
        pending = [
            s
            for s in self._commits
            if s.projected_at is None and s.commit.recorded_at < recorded_before
        ]
        return [s.commit for s in sorted(pending, key=self._order)[:limit]]

    async def mark_projected(self, commit_id: str, at: datetime) -> None:
        self._by_id[commit_id].projected_at = at

    @staticmethod
    def _order(stored: _StoredCommit) -> tuple[datetime, int]:
        return (stored.commit.recorded_at, stored.sequence)

    def all_events(self) -> list[EventEnvelope]:
        """Every event in commit order (for tests and rebuilds)."""
        return [envelope for stored in self._commits for envelope in stored.commit.events]
