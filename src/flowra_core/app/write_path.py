"""The write path every command takes (design §2): load → decide → commit → react.

One command appends ONE commit (all its events) to the aggregate's stream at the version
it read. A clash with another writer reloads and retries with short back-off; after the
last retry the command fails with CONCURRENT_MODIFICATION.

Before the append, the commit's reaction task is recorded (write-ahead, `reactions.py`);
after it, the reactions run inline: the state save first, then everything the reaction table
registers. The commit is the point of truth: once it is stored the command has succeeded,
whatever happens next — a reaction that fails is retried by the worker's sweep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from flowra_core.app.delivery.reactions import ReactionRunner
from flowra_core.app.telemetry import CoreTelemetry, NoTelemetry
from flowra_core.domain.errors import ConcurrencyConflict, DomainError, ErrorCode
from flowra_core.domain.events import AggregateType, DomainEvent, EventEnvelope
from flowra_core.ports.clock import Clock, IdGenerator
from flowra_core.ports.event_store import Commit, Journal
from flowra_core.ports.state_store import StateStore, Versioned

S = TypeVar("S", bound=Versioned)

# domain.md §3 "Concurrency": up to 3 retries with 10/20/40 ms back-off.
RETRY_DELAYS: tuple[float, ...] = (0.01, 0.02, 0.04)


class Projector(Protocol):
    async def project(self, commit: Commit) -> None:
        """Update a read model for a commit; idempotent."""
        ...


# The reaction that saves the aggregate's state document; inline it saves the state in hand.
STATE_REACTION = "state"


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

    def required(self) -> S:
        """The state of an aggregate the command created or changed (never None then)."""
        assert self.state is not None, "the command left no state"
        return self.state


Decide = Callable[[S | None], Sequence[DomainEvent]]


class WritePath:
    def __init__(
        self,
        *,
        journal: Journal,
        clock: Clock,
        ids: IdGenerator,
        reactions: ReactionRunner,
        telemetry: CoreTelemetry | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self._events = journal
        self._clock = clock
        self._ids = ids
        self._reactions = reactions
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
        summarize: bool = False,
    ) -> Outcome[S]:
        """Run `decide` against the current state and commit what it returns.

        `decide` raises domain errors to refuse; it is called again on each retry, against
        the reloaded state, so it must be pure.

        The first attempt decides on the state document alone (`new`: on no state at all, for
        an id the caller has just generated). That is safe: a state document that trails the
        journal has a version whose successor is taken, so the append conflicts and the retry
        reads the journal's newer events as well. `summarize`: the commit earns a change
        summary (a REST change of a chat, tags.md §6).
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
            commit, new_state = self._build_commit(
                kind, aggregate_id, state, events, actor_id, summarize
            )
            task = self._reactions.task_for(commit)
            await self._reactions.begin(task)
            try:
                await self._events.append(commit)
            except ConcurrencyConflict:
                await self._reactions.abandon(task)
                self._telemetry.conflicted(kind.aggregate_type)
                if delay is None:
                    break
                await self._sleep(delay)
                continue
            self._telemetry.committed(commit)

            async def save_state(stored: Commit, state: S = new_state) -> None:
                if stored.base_version == 0:
                    await kind.store.save_new(state)
                else:
                    await kind.store.save(state)

            await self._reactions.run_inline(commit, task, {STATE_REACTION: save_state})
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
        summarize: bool,
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
            summarize=summarize,
        )
        return commit, new_state
