"""The write path every command takes (design §2): load → decide → commit → project → publish.

One command appends ONE commit (all its events) to the aggregate's stream at the version
it read. A clash with another writer reloads and retries with short back-off; after the
last retry the command fails with CONCURRENT_MODIFICATION.

Projections and publication follow the commit, which is the point of truth: once it is stored
the command has succeeded, whatever happens next. A failed apply step (state save, secondary
projections, `projected_at`) queues the aggregate for the worker's repair job and the command
goes on to publish; if even the queue is out of reach, the catch-up re-applies the commit
(its `projected_at` stays null). A failed publication is left to the relay.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from flowra_core.app.telemetry import CoreTelemetry, NoTelemetry
from flowra_core.domain.errors import (
    ConcurrencyConflict,
    DomainError,
    ErrorCode,
    FlowraError,
    ServiceUnavailable,
)
from flowra_core.domain.events import AggregateType, DomainEvent, EventEnvelope
from flowra_core.ports.clock import Clock, IdGenerator
from flowra_core.ports.event_bus import EventBus
from flowra_core.ports.event_store import Commit, EventStore
from flowra_core.ports.repair import RepairQueue
from flowra_core.ports.state_store import StateStore, Versioned

S = TypeVar("S", bound=Versioned)
logger = logging.getLogger(__name__)

# domain.md §3 "Concurrency": up to 3 retries with 10/20/40 ms back-off.
RETRY_DELAYS: tuple[float, ...] = (0.01, 0.02, 0.04)


class Projector(Protocol):
    async def project(self, commit: Commit) -> None:
        """Update the secondary read models for a commit; idempotent."""
        ...


@dataclass(frozen=True, slots=True)
class Routing:
    workspace_id: str | None
    chat_id: str | None


@dataclass(frozen=True, slots=True)
class AggregateKind(Generic[S]):
    """How the write path treats one kind of aggregate."""

    aggregate_type: AggregateType
    store: StateStore[S]
    # (state, event, occurred_at, aggregate_id) -> new state
    evolve: Callable[[S | None, DomainEvent, datetime, str], S]
    routing: Callable[[S], Routing]


@dataclass(frozen=True, slots=True)
class Outcome(Generic[S]):
    """The state after the command and the events it committed (empty for a no-op)."""

    state: S | None
    events: tuple[EventEnvelope, ...]

    @property
    def changed(self) -> bool:
        return bool(self.events)


Decide = Callable[[S | None], Sequence[DomainEvent]]
PublishFailureHook = Callable[[Commit, ServiceUnavailable], None]


def _ignore_publish_failure(commit: Commit, error: ServiceUnavailable) -> None:
    """Default hook: the relay republishes the commit later."""


class WritePath:
    def __init__(
        self,
        *,
        event_store: EventStore,
        bus: EventBus,
        clock: Clock,
        ids: IdGenerator,
        projector: Projector,
        repairs: RepairQueue,
        on_publish_failure: PublishFailureHook = _ignore_publish_failure,
        telemetry: CoreTelemetry | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self._events = event_store
        self._bus = bus
        self._clock = clock
        self._ids = ids
        self._projector = projector
        self._repairs = repairs
        self._on_publish_failure = on_publish_failure
        self._telemetry = telemetry or NoTelemetry()
        self._sleep = sleep
        self._retry_delays = tuple(retry_delays)

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def ids(self) -> IdGenerator:
        return self._ids

    async def current(self, kind: AggregateKind[S], aggregate_id: str) -> S | None:
        """The stored state document alone, for reads and access checks: one look-up by `_id`.

        It trails the journal only while a commit's state save is pending retry (seconds);
        commands never decide on it without the journal's say (see `execute`)."""
        return await kind.store.get(aggregate_id)

    async def load(self, kind: AggregateKind[S], aggregate_id: str) -> S | None:
        """The stored state document plus any newer journal events (operations.md §4)."""
        state = await kind.store.get(aggregate_id)
        newer = await self._events.read_stream(
            aggregate_id, after_version=state.version if state is not None else 0
        )
        for envelope in newer:
            if envelope.aggregate_type is not kind.aggregate_type:
                # An id of another kind of aggregate (a chat id where a workspace id belongs):
                # for this kind, nothing exists under that id.
                return None
            state = kind.evolve(state, envelope.event, envelope.occurred_at, aggregate_id)
        return state

    async def execute(
        self,
        kind: AggregateKind[S],
        aggregate_id: str,
        decide: Decide[S],
        *,
        actor_id: str | None,
        new: bool = False,
    ) -> Outcome[S]:
        """Run `decide` against the current state and commit what it returns.

        `decide` raises domain errors to refuse; it is called again on each retry, against
        the reloaded state, so it must be pure.

        The first attempt decides on the state document alone (`new`: on no state at all, for
        an id the caller has just generated). That is safe: a state document that trails the
        journal has a version whose successor is taken, so the append conflicts and the retry
        reads the journal's newer events as well.
        """
        first = True
        for delay in (*self._retry_delays, None):
            if first:
                state = None if new else await kind.store.get(aggregate_id)
                first = False
            else:
                state = await self.load(kind, aggregate_id)
            events = decide(state)
            if not events:
                return Outcome(state, ())
            commit, new_state = self._build_commit(kind, aggregate_id, state, events, actor_id)
            try:
                await self._events.append(commit)
            except ConcurrencyConflict:
                self._telemetry.conflicted(kind.aggregate_type)
                if delay is None:
                    break
                await self._sleep(delay)
                continue
            self._telemetry.committed(commit)
            await self._after_commit(kind, commit, new_state)
            return Outcome(new_state, commit.events)
        raise DomainError(
            ErrorCode.CONCURRENT_MODIFICATION,
            "The item was changed by someone else at the same time; please try again",
        )

    def _build_commit(
        self,
        kind: AggregateKind[S],
        aggregate_id: str,
        state: S | None,
        events: Sequence[DomainEvent],
        actor_id: str | None,
    ) -> tuple[Commit, S]:
        now = self._clock.now()
        base_version = state.version if state is not None else 0
        new_state = state
        for event in events:
            new_state = kind.evolve(new_state, event, now, aggregate_id)
        assert new_state is not None
        routing = kind.routing(new_state)
        envelopes = tuple(
            EventEnvelope(
                event_id=self._ids.new_id(),
                aggregate_type=kind.aggregate_type,
                aggregate_id=aggregate_id,
                version=base_version + offset,
                workspace_id=routing.workspace_id,
                chat_id=routing.chat_id,
                actor_id=actor_id,
                occurred_at=now,
                event=event,
            )
            for offset, event in enumerate(events, start=1)
        )
        commit = Commit(
            commit_id=self._ids.new_id(),
            aggregate_type=kind.aggregate_type,
            aggregate_id=aggregate_id,
            base_version=base_version,
            workspace_id=routing.workspace_id,
            chat_id=routing.chat_id,
            actor_id=actor_id,
            recorded_at=now,
            events=envelopes,
        )
        return commit, new_state

    async def _after_commit(self, kind: AggregateKind[S], commit: Commit, state: S) -> None:
        step = "state save"
        try:
            await kind.store.save(state)
            step = "projection"
            await self._projector.project(commit)
            step = "mark_projected"
            await self._events.mark_projected(commit.commit_id, self._clock.now())
        # The commit is stored: whatever fails now is repaired later, never the caller's error.
        except Exception as error:  # noqa: BLE001 - logged and queued for repair
            await self._queue_repair(commit, f"{step} failed: {_describe(error)}", error)
        await self.publish(commit)

    async def _queue_repair(self, commit: Commit, reason: str, error: Exception) -> None:
        where = f"{commit.aggregate_type.value} {commit.aggregate_id} (commit {commit.commit_id})"
        # A FlowraError is an outage or a refusal of the database; anything else is a bug, whose
        # stack is kept.
        expected = isinstance(error, FlowraError)
        logger.log(
            logging.WARNING if expected else logging.ERROR,
            "apply step failed after the commit of %s: %s",
            where,
            reason,
            exc_info=None if expected else error,
        )
        try:
            await self._repairs.enqueue(
                commit.aggregate_type,
                commit.aggregate_id,
                reason,
                item_id=self._ids.new_id(),
                now=self._clock.now(),
            )
        except FlowraError as queue_error:
            # The commit stays unprojected, so the catch-up job re-applies it anyway.
            logger.error(
                "could not queue the repair of %s (%s); the projection catch-up will apply it",
                where,
                queue_error,
            )
            return
        logger.info("repair queued for %s", where)

    async def publish(self, commit: Commit) -> None:
        """Direct publication after a commit; a bus outage leaves it to the relay."""
        try:
            await self._bus.publish(commit.events)
        except ServiceUnavailable as error:
            self._on_publish_failure(commit, error)
            return
        try:
            await self._events.mark_published(commit.commit_id, self._clock.now())
        except FlowraError as error:
            # Delivered but not recorded: the relay publishes it again, consumers deduplicate.
            logger.warning("could not mark commit %s published: %s", commit.commit_id, error)


def _describe(error: Exception) -> str:
    detail = str(error)
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__
