"""Dispatch bookkeeping (operations.md §4 "Dispatch"): the bus consumer confirms each commit it
handled by setting `dispatched_at`, and a sweep dispatches whatever stayed unconfirmed for
10 s (a bus outage, a consumer that died). The dispatcher is idempotent, so an event handled by
both is harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flowra_core.app.dispatch import NotificationDispatcher
from flowra_core.domain.errors import DomainError
from flowra_core.domain.events import EventEnvelope
from flowra_core.ports.clock import Clock
from flowra_core.ports.event_store import EventStore

DISPATCH_GRACE = timedelta(seconds=10)

_log = logging.getLogger(__name__)


class DispatchConsumer:
    """The `dispatch` consumer group's handler: notifications first, then the marker, so a
    crash in between only repeats harmless work."""

    def __init__(self, dispatcher: NotificationDispatcher, events: EventStore, clock: Clock):
        self._dispatcher = dispatcher
        self._events = events
        self._clock = clock

    async def handle(self, envelope: EventEnvelope) -> None:
        await self._dispatcher.handle(envelope)
        await self._events.mark_dispatched_through(
            envelope.aggregate_id, envelope.version, self._clock.now()
        )


@dataclass(frozen=True, slots=True)
class SweepReport:
    dispatched: int
    failed: int


class DispatchSweep:
    def __init__(
        self,
        dispatcher: NotificationDispatcher,
        events: EventStore,
        clock: Clock,
        *,
        batch_size: int,
    ) -> None:
        self._dispatcher = dispatcher
        self._events = events
        self._clock = clock
        self._batch_size = batch_size

    async def run_once(self) -> SweepReport:
        """Dispatch the commits left unconfirmed past the grace period, oldest first.

        A commit whose dispatch breaks a rule is logged and left for the next sweep, so it
        cannot hold back the ones behind it; an outage (ServiceUnavailable) ends the run."""
        now = self._clock.now()
        commits = await self._events.undispatched(
            recorded_before=now - DISPATCH_GRACE, limit=self._batch_size
        )
        failed = 0
        for commit in commits:
            try:
                for envelope in commit.events:
                    await self._dispatcher.handle(envelope)
            except DomainError as error:
                failed += 1
                _log.error(
                    "dispatch of commit %s failed; it stays in the sweep: %s",
                    commit.commit_id,
                    error.message,
                )
                continue
            await self._events.mark_dispatched(commit.commit_id, self._clock.now())
        return SweepReport(dispatched=len(commits) - failed, failed=failed)
