"""Background delivery guarantees (operations.md §4): the relay and the projection catch-up.

The relay republishes every commit whose direct publication did not happen (a crash, a bus
outage) once it is older than a grace period, in commit order, and never drops one: a failed
attempt backs off from 1 s, doubling up to 5 min, and after 10 attempts the commit counts as
stuck (visible in health and metrics) while it keeps being retried.

The catch-up re-applies commits whose projections were not confirmed: the state document is
rebuilt from the journal and the secondary projections run again (they are idempotent).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flowra_core.app.write_path import AggregateKind, Projector, WritePath
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.ports.clock import Clock
from flowra_core.ports.event_bus import EventBus
from flowra_core.ports.event_store import Commit, EventStore, PendingPublication

PUBLISH_GRACE = timedelta(seconds=2)
PROJECTION_GRACE = timedelta(seconds=5)
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 300.0
STUCK_AFTER_ATTEMPTS = 10


def backoff_seconds(attempts: int) -> float:
    """Wait after the `attempts`-th failure: 1 s, 2 s, 4 s, … capped at 5 min."""
    return min(FIRST_BACKOFF_SECONDS * 2.0 ** (attempts - 1), MAX_BACKOFF_SECONDS)


@dataclass(frozen=True, slots=True)
class RelayReport:
    """Commits published and failed in one run, with the event types involved (metrics)."""

    published: int
    failed: int
    newly_stuck: int
    published_types: tuple[str, ...] = ()
    failed_types: tuple[str, ...] = ()


class Relay:
    def __init__(self, events: EventStore, bus: EventBus, clock: Clock, *, batch_size: int) -> None:
        self._events = events
        self._bus = bus
        self._clock = clock
        self._batch_size = batch_size

    async def run_once(self) -> RelayReport:
        now = self._clock.now()
        pending = await self._events.due_for_publication(
            recorded_before=now - PUBLISH_GRACE, now=now, limit=self._batch_size
        )
        return await self._publish_in_order(pending)

    async def replay_stuck(self) -> RelayReport:
        """Publish the parked (stuck) commits now, ignoring their back-off: the operator's
        replay once the cause is fixed. A failure counts as one more attempt."""
        parked = await self._events.stuck(
            stuck_after_attempts=STUCK_AFTER_ATTEMPTS, limit=self._batch_size
        )
        return await self._publish_in_order(parked)

    async def _publish_in_order(self, pending: Sequence[PendingPublication]) -> RelayReport:
        published = 0
        types: list[str] = []
        for item in pending:
            try:
                await self._bus.publish(item.commit.events)
            except ServiceUnavailable as error:
                attempts = item.attempts + 1
                now = self._clock.now()
                await self._events.record_publish_failure(
                    item.commit.commit_id,
                    attempts=attempts,
                    next_attempt_at=now + timedelta(seconds=backoff_seconds(attempts)),
                    error=error.reason,
                )
                # The bus is down: later commits would fail too, and publishing them first
                # would break the per-aggregate order.
                return RelayReport(
                    published,
                    failed=1,
                    newly_stuck=int(attempts == STUCK_AFTER_ATTEMPTS),
                    published_types=tuple(types),
                    failed_types=tuple(e.type for e in item.commit.events),
                )
            await self._events.mark_published(item.commit.commit_id, self._clock.now())
            published += 1
            types.extend(envelope.type for envelope in item.commit.events)
        return RelayReport(published, failed=0, newly_stuck=0, published_types=tuple(types))


KindFor = Callable[[Commit], AggregateKind[Any]]


class ProjectionCatchup:
    def __init__(
        self,
        write: WritePath,
        events: EventStore,
        projector: Projector,
        kind_for: KindFor,
        *,
        batch_size: int,
    ) -> None:
        self._write = write
        self._events = events
        self._projector = projector
        self._clock = write.clock
        self._kind_for = kind_for
        self._batch_size = batch_size

    async def run_once(self) -> int:
        """Re-apply the unconfirmed commits; returns how many were confirmed."""
        now = self._clock.now()
        commits = await self._events.unprojected(
            recorded_before=now - PROJECTION_GRACE, limit=self._batch_size
        )
        for commit in commits:
            await self.reproject(commit)
        return len(commits)

    async def reproject(self, commit: Commit) -> None:
        kind = self._kind_for(commit)
        state = await self._write.load(kind, commit.aggregate_id)
        if state is not None:
            await kind.store.save(state)
        await self._projector.project(commit)
        await self._events.mark_projected(commit.commit_id, self._clock.now())
