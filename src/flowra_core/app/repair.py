"""The repair job's work (operations.md §5 "repair", spec D34).

An item of the repair queue names an aggregate whose apply step failed after its commit was
stored. Repairing it rebuilds the aggregate's projections from the journal alone: the state
document is replayed from version 0 (never from the stored document, which may be the broken
part), the secondary projections run again over every one of its commits (they are
idempotent) and the commits are confirmed projected. A failed repair is retried after 30 s,
doubling; the fifth failure leaves the item `failed` for an operator. An item whose worker died
mid-repair is taken again when its 60 s lease runs out.

The same job deletes uploads that were never attached to a message once they are 24 h old.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flowra_core.app.write_path import AggregateKind, Projector
from flowra_core.domain.errors import FlowraError
from flowra_core.domain.events import AggregateType
from flowra_core.ports.clock import Clock
from flowra_core.ports.event_store import Commit, Journal
from flowra_core.ports.files import BlobStorage, FileStore
from flowra_core.ports.repair import RepairItem, RepairQueue, RepairStatus

REPAIR_LEASE = timedelta(seconds=60)
FAILED_AFTER_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)
UNATTACHED_UPLOAD_MAX_AGE = timedelta(hours=24)
UPLOAD_SWEEP_BATCH = 100


def retry_delay(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failure: 30 s, 1 min, 2 min, 4 min."""
    return FIRST_RETRY * (1 << (attempts - 1))


class UnrepairableAggregate(FlowraError):
    """The journal does not hold what the item says (another kind of aggregate under its id)."""


KindFor = Callable[[Commit], AggregateKind[Any]]


@dataclass(frozen=True, slots=True)
class FailedRepair:
    item: RepairItem
    attempts: int
    error: str
    gave_up: bool  # the item is now `failed`


@dataclass(frozen=True, slots=True)
class RepairReport:
    """What one run did: aggregates repaired, repairs that failed, uploads deleted."""

    repaired: tuple[RepairItem, ...] = ()
    failures: tuple[FailedRepair, ...] = ()
    uploads_deleted: int = 0

    @property
    def gave_up(self) -> tuple[FailedRepair, ...]:
        return tuple(failure for failure in self.failures if failure.gave_up)


class RepairService:
    def __init__(
        self,
        *,
        queue: RepairQueue,
        events: Journal,
        projector: Projector,
        kind_for: KindFor,
        clock: Clock,
        files: FileStore,
        blobs: BlobStorage,
        batch_size: int,
    ) -> None:
        self._queue = queue
        self._events = events
        self._projector = projector
        self._kind_for = kind_for
        self._clock = clock
        self._files = files
        self._blobs = blobs
        self._batch_size = batch_size

    async def run_once(self) -> RepairReport:
        repaired: list[RepairItem] = []
        failures: list[FailedRepair] = []
        # One item at a time, so each lease starts when its repair does.
        for _ in range(self._batch_size):
            claimed = await self._queue.claim_due(
                now=self._clock.now(), lease=REPAIR_LEASE, limit=1
            )
            if not claimed:
                break
            item = claimed[0]
            try:
                await self.rebuild(item.aggregate_type, item.aggregate_id)
            except Exception as error:  # noqa: BLE001 - counted against the item, retried later
                failures.append(await self._record_failure(item, error))
                continue
            await self._queue.mark_done(item.id)
            repaired.append(item)
        deleted = await self.delete_unattached_uploads()
        return RepairReport(tuple(repaired), tuple(failures), deleted)

    async def rebuild(self, aggregate_type: AggregateType, aggregate_id: str) -> int:
        """Rebuild the aggregate's projections from its journal; how many commits it has."""
        commits = await self._events.stream_commits(aggregate_id)
        envelopes = [envelope for commit in commits for envelope in commit.events]
        strangers = {e.aggregate_type for e in envelopes} - {aggregate_type}
        if strangers:
            found = ", ".join(sorted(t.value for t in strangers))
            raise UnrepairableAggregate(
                f"the journal of {aggregate_id} holds {found} events, not {aggregate_type.value}"
            )
        if not commits:
            return 0
        kind = self._kind_for(commits[0])
        state = None
        for envelope in envelopes:
            state = kind.evolve(state, envelope.event, envelope.occurred_at, aggregate_id)
        if state is not None:
            await kind.store.save(state)
        for commit in commits:
            await self._projector.project(commit)
        return len(commits)

    async def delete_unattached_uploads(self) -> int:
        """Delete one batch of uploads never attached and older than 24 h: the record first
        (only while still unattached), then its bytes. A failure in between leaves bytes no
        record points to, never a record without bytes."""
        cutoff = self._clock.now() - UNATTACHED_UPLOAD_MAX_AGE
        stale = await self._files.unattached_before(cutoff, limit=UPLOAD_SWEEP_BATCH)
        deleted = 0
        for record in stale:
            if await self._files.delete_unattached(record.id):
                await self._blobs.delete(record.storage_key)
                deleted += 1
        return deleted

    async def counts(self) -> Mapping[RepairStatus, int]:
        """Items per status (health `repair_queue`, metric `flowra_repair_queue_items`)."""
        return await self._queue.counts()

    async def failed_items(self, *, limit: int) -> Sequence[RepairItem]:
        return await self._queue.failed_items(limit=limit)

    async def _record_failure(self, item: RepairItem, error: Exception) -> FailedRepair:
        attempts = item.attempts + 1
        gave_up = attempts >= FAILED_AFTER_ATTEMPTS
        described = f"{type(error).__name__}: {error}"
        retry_at = None if gave_up else self._clock.now() + retry_delay(attempts)
        await self._queue.record_failure(
            item.id, attempts=attempts, error=described, retry_at=retry_at
        )
        return FailedRepair(item, attempts, described, gave_up)
