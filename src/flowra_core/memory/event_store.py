"""In-memory event journal with the unique (aggregate_id, base_version) rule.

Each stream is a list of commits in version order (every append continues the head), kept with
the list of their last versions, so the lookups the Mongo adapter serves from its
(aggregate_id, base_version) index are binary searches here rather than scans of the stream.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flowra_core.domain.errors import ConcurrencyConflict
from flowra_core.domain.events import AggregateType, EventEnvelope
from flowra_core.ports.event_store import Commit, JournalPosition

# The aggregates whose events a chat's journal replays (websocket.md §5 "Resume").
_CHAT_JOURNAL = frozenset({AggregateType.CHAT, AggregateType.MESSAGE})


@dataclass(slots=True)
class _StoredCommit:
    commit: Commit
    sequence: int


@dataclass
class InMemoryEventStore:
    _commits: list[_StoredCommit] = field(default_factory=list)
    _by_id: dict[str, _StoredCommit] = field(default_factory=dict)
    _streams: dict[str, list[_StoredCommit]] = field(default_factory=dict)
    # Per stream, the last version of each of its commits (ascending, parallel to _streams).
    _stream_ends: dict[str, list[int]] = field(default_factory=dict)
    _by_event: dict[str, tuple[_StoredCommit, EventEnvelope]] = field(default_factory=dict)
    _by_chat: dict[str, list[_StoredCommit]] = field(default_factory=dict)

    async def append(self, commit: Commit) -> None:
        stream = self._streams.setdefault(commit.aggregate_id, [])
        # Every stored commit continues the one before it, so base versions only grow and the
        # head holds the largest: a new commit must start where the head ends (else it read an
        # older version and lost the race), and may only clash with the head's own base version
        # (a head without events).
        head = stream[-1].commit if stream else None
        if head is not None and (
            commit.base_version != head.last_version or commit.base_version == head.base_version
        ):
            raise ConcurrencyConflict(commit.aggregate_id, commit.base_version)
        stored = _StoredCommit(commit, sequence=len(self._commits))
        self._commits.append(stored)
        self._by_id[commit.commit_id] = stored
        stream.append(stored)
        self._stream_ends.setdefault(commit.aggregate_id, []).append(commit.last_version)
        self._by_event.update((envelope.event_id, (stored, envelope)) for envelope in commit.events)
        if commit.chat_id is not None and commit.aggregate_type in _CHAT_JOURNAL:
            self._by_chat.setdefault(commit.chat_id, []).append(stored)

    async def read_stream(
        self, aggregate_id: str, *, after_version: int = 0
    ) -> Sequence[EventEnvelope]:
        stream = self._streams.get(aggregate_id, [])
        first = bisect_right(self._stream_ends.get(aggregate_id, []), after_version)
        return [
            envelope
            for index in range(first, len(stream))
            for envelope in stream[index].commit.events
            if envelope.version > after_version
        ]

    async def stream_commits(self, aggregate_id: str) -> Sequence[Commit]:
        return [stored.commit for stored in self._streams.get(aggregate_id, [])]

    async def read_stream_backwards(
        self,
        aggregate_id: str,
        *,
        before_version: int | None,
        limit: int,
        event_types: Collection[str] | None = None,
    ) -> Sequence[EventEnvelope]:
        found: list[EventEnvelope] = []
        for stored in reversed(self._streams.get(aggregate_id, [])):
            for envelope in reversed(stored.commit.events):
                if before_version is not None and envelope.version >= before_version:
                    continue
                if event_types is not None and envelope.type not in event_types:
                    continue
                found.append(envelope)
                if len(found) == limit:
                    return found
        return found

    async def get_commit(self, commit_id: str) -> Commit | None:
        stored = self._by_id.get(commit_id)
        return None if stored is None else stored.commit

    async def locate_event(self, event_id: str) -> JournalPosition | None:
        found = self._by_event.get(event_id)
        if found is None:
            return None
        stored, envelope = found
        return JournalPosition(
            event_id=event_id,
            commit_id=stored.commit.commit_id,
            aggregate_type=stored.commit.aggregate_type,
            version=envelope.version,
            chat_id=stored.commit.chat_id,
            recorded_at=stored.commit.recorded_at,
        )

    async def chat_events_after(
        self, position: JournalPosition, *, limit: int
    ) -> Sequence[EventEnvelope]:
        anchor = self._by_id.get(position.commit_id)
        if anchor is None or position.chat_id is None or limit <= 0:
            return []
        start = self._order(anchor)
        later = [s for s in self._by_chat.get(position.chat_id, []) if self._order(s) >= start]
        found: list[EventEnvelope] = []
        for stored in sorted(later, key=self._order):
            for envelope in stored.commit.events:
                if stored is anchor and envelope.version <= position.version:
                    continue
                found.append(envelope)
                if len(found) == limit:
                    return found
        return found

    @staticmethod
    def _order(stored: _StoredCommit) -> tuple[datetime, int]:
        return (stored.commit.recorded_at, stored.sequence)

    def appended(self) -> list[Commit]:
        """Every commit in the order it was appended (tests, rebuilds)."""
        return [stored.commit for stored in self._commits]

    def all_events(self) -> list[EventEnvelope]:
        """Every event in commit order (for tests and rebuilds)."""
        return [envelope for stored in self._commits for envelope in stored.commit.events]
