"""After the commit, one door (design §2.6): every follow-up of a commit is a *reaction*,
registered once in a `ReactionTable` (see `reaction_table.py` for Flowra's), run inline right
after the commit for read-your-writes and retried by one sweep in the worker until done.

Bookkeeping: the write path records a `ReactionTask` (the names of the reactions the commit
owes) before it appends the commit. Inline, each reaction runs in table order; the task is
forgotten when all succeed, or keeps the failed ones with a back-off. The sweep runs due tasks
again; after `PARK_AFTER_ATTEMPTS` failures a task is parked (health, metrics,
`flowra-worker dead-letters`), never dropped. A reaction must therefore be idempotent: it may
run again for a commit it has already handled.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flowra_core.app.telemetry import CoreTelemetry, NoTelemetry
from flowra_core.domain.errors import FlowraError
from flowra_core.domain.events import AggregateType
from flowra_core.ports.clock import Clock
from flowra_core.ports.event_store import Commit, Journal
from flowra_core.ports.reaction_work import ReactionTask, ReactionWork

_log = logging.getLogger(__name__)

# The sweep leaves a task alone this long after its commit: the inline run owns it meanwhile.
INLINE_GRACE = timedelta(seconds=10)
# A task whose commit is still missing this long after it was recorded never got appended.
ORPHAN_AFTER = timedelta(seconds=60)
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 300.0
PARK_AFTER_ATTEMPTS = 10

Handler = Callable[[Commit], Awaitable[None]]


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failure: 1 s, 2 s, 4 s, … capped at 5 min."""
    return timedelta(
        seconds=min(FIRST_BACKOFF_SECONDS * 2.0 ** (attempts - 1), MAX_BACKOFF_SECONDS)
    )


@dataclass(frozen=True, slots=True)
class Reaction:
    """An idempotent follow-up of commits of `aggregates` holding one of `events` (None: any)."""

    name: str
    description: str
    aggregates: frozenset[AggregateType]
    events: frozenset[str] | None
    handle: Handler
    # A further condition on the commit itself (None: none).
    when: Callable[[Commit], bool] | None = None
    # When it fails, the reactions after it wait too (they read what it writes).
    holds_back_the_rest: bool = False
    # What the sweep runs instead of `handle` (None: `handle`). The sweep may run a commit's
    # reaction after a later commit of the same aggregate already ran inline, so a reaction
    # whose inline form is only right in order (a `$max` raise) gives here its order-free form.
    replay: Handler | None = None

    def handler(self, *, inline: bool) -> Handler:
        return self.handle if inline or self.replay is None else self.replay

    def applies_to(self, commit: Commit) -> bool:
        if commit.aggregate_type not in self.aggregates:
            return False
        if self.when is not None and not self.when(commit):
            return False
        return self.events is None or any(e.type in self.events for e in commit.events)

    def handles_event(self, aggregate: AggregateType, event_type: str) -> bool:
        return aggregate in self.aggregates and (self.events is None or event_type in self.events)


class ReactionTable:
    """The one place that answers "what happens after X?"."""

    def __init__(self, reactions: Sequence[Reaction]) -> None:
        names = [reaction.name for reaction in reactions]
        assert len(set(names)) == len(names), f"reaction names must be unique: {names}"
        self._reactions = list(reactions)
        self._by_name = {reaction.name: reaction for reaction in reactions}

    def __iter__(self) -> Iterator[Reaction]:
        return iter(self._reactions)

    def for_commit(self, commit: Commit) -> tuple[Reaction, ...]:
        return tuple(r for r in self._reactions if r.applies_to(commit))

    def owed(self, commit: Commit, names: Iterable[str]) -> tuple[Reaction, ...]:
        """The named reactions that apply to the commit, in table order (a name no longer
        registered, or one that does not apply, is skipped)."""
        wanted = set(names)
        return tuple(r for r in self.for_commit(commit) if r.name in wanted)

    def for_event(self, aggregate: AggregateType, event_type: str) -> list[str]:
        return [r.name for r in self._reactions if r.handles_event(aggregate, event_type)]


@dataclass(frozen=True, slots=True)
class SweepReport:
    finished: int
    failed: int
    parked: int
    dropped: int


class ReactionRunner:
    """Runs a commit's reactions and keeps the work list's books, inline and in the sweep."""

    def __init__(
        self,
        table: ReactionTable,
        work: ReactionWork,
        journal: Journal,
        clock: Clock,
        telemetry: CoreTelemetry | None = None,
    ) -> None:
        self.table = table
        self._work = work
        self._journal = journal
        self._clock = clock
        self._telemetry = telemetry or NoTelemetry()

    def task_for(self, commit: Commit) -> ReactionTask:
        now = self._clock.now()
        return ReactionTask(
            commit_id=commit.commit_id,
            aggregate_id=commit.aggregate_id,
            remaining=tuple(r.name for r in self.table.for_commit(commit)),
            attempts=0,
            due_at=now + INLINE_GRACE,
            created_at=now,
        )

    async def begin(self, task: ReactionTask) -> None:
        await self._work.begin(task)

    async def abandon(self, task: ReactionTask) -> None:
        """The commit was not stored (a conflict): its task goes too. Should this fail, the
        sweep drops the task once it sees the commit missing."""
        try:
            await self._work.finish(task.commit_id)
        except FlowraError as error:
            _log.warning("could not drop the task of refused commit %s: %s", task.commit_id, error)

    async def run_inline(
        self, commit: Commit, task: ReactionTask, overrides: Mapping[str, Handler]
    ) -> None:
        """Right after the commit; never raises (the commit is stored: the command has
        succeeded). `overrides` run instead of the named reactions (the state save with the
        state already in hand)."""
        owed = self.table.owed(commit, task.remaining)
        failed, error = await self._run(commit, owed, overrides, inline=True)
        await self._settle(task, failed, error)

    async def sweep(self, *, limit: int) -> SweepReport:
        """Run the due tasks again, their commits in journal order. After a failure the rest
        of that aggregate's commits wait for the next sweep, so its events are published in
        order once the cause (a bus outage) is gone."""
        now = self._clock.now()
        finished = failed = parked = dropped = 0
        due: list[tuple[ReactionTask, Commit]] = []
        for task in await self._work.due(now=now, limit=limit):
            commit = await self._journal.get_commit(task.commit_id)
            if commit is not None:
                due.append((task, commit))
            elif now - task.created_at >= ORPHAN_AFTER:
                await self._work.finish(task.commit_id)
                dropped += 1
            else:  # its append may still be on its way
                await self._work.postpone(dataclasses.replace(task, due_at=now + INLINE_GRACE))
        held: set[str] = set()
        for task, commit in sorted(due, key=lambda pair: _journal_order(pair[1])):
            if commit.aggregate_id in held:
                continue
            owed = self.table.owed(commit, task.remaining)
            failures, error = await self._run(commit, owed, {}, inline=False)
            outcome = await self._settle(task, failures, error)
            if outcome != "finished":
                held.add(commit.aggregate_id)
            finished += outcome == "finished"
            failed += outcome == "failed"
            parked += outcome == "parked"
        return SweepReport(finished=finished, failed=failed, parked=parked, dropped=dropped)

    async def replay_parked(self) -> int:
        """The operator's replay once the cause is fixed: parked tasks are due again now."""
        return await self._work.unpark(now=self._clock.now())

    async def _run(
        self,
        commit: Commit,
        reactions: Sequence[Reaction],
        overrides: Mapping[str, Handler],
        *,
        inline: bool,
    ) -> tuple[list[str], str | None]:
        failed: list[str] = []
        last_error: str | None = None
        for position, reaction in enumerate(reactions):
            handle = overrides.get(reaction.name) or reaction.handler(inline=inline)
            try:
                await handle(commit)
                self._telemetry.reacted(reaction.name, commit, inline=inline)
            # Whatever a reaction raises is retried later, never the caller's error.
            except Exception as error:  # noqa: BLE001 - logged, kept in the work list
                failed.append(reaction.name)
                last_error = f"{reaction.name}: {_describe(error)}"
                expected = isinstance(error, FlowraError)
                _log.log(
                    logging.WARNING if expected else logging.ERROR,
                    "reaction %s failed for %s %s (commit %s): %s",
                    reaction.name,
                    commit.aggregate_type.value,
                    commit.aggregate_id,
                    commit.commit_id,
                    _describe(error),
                    exc_info=None if expected else error,
                )
                self._telemetry.reaction_failed(reaction.name, commit)
                if reaction.holds_back_the_rest:
                    failed.extend(r.name for r in reactions[position + 1 :])
                    break
        return failed, last_error

    async def _settle(self, task: ReactionTask, failed: list[str], error: str | None) -> str:
        try:
            if not failed:
                await self._work.finish(task.commit_id)
                return "finished"
            attempts = task.attempts + 1
            parked = attempts >= PARK_AFTER_ATTEMPTS
            await self._work.postpone(
                dataclasses.replace(
                    task,
                    remaining=tuple(failed),
                    attempts=attempts,
                    due_at=self._clock.now() + backoff(attempts),
                    parked=parked,
                    last_error=error,
                )
            )
        except FlowraError as book_error:
            # The task stays as it was: the sweep runs it (all of it) again after its due time.
            _log.warning("could not update the task of commit %s: %s", task.commit_id, book_error)
            return "failed"
        if parked:
            _log.error(
                "reactions %s of commit %s failed %d times and are parked: %s",
                ", ".join(failed),
                task.commit_id,
                PARK_AFTER_ATTEMPTS,
                error,
            )
            return "parked"
        return "failed"


def _journal_order(commit: Commit) -> tuple[datetime, str, int]:
    return (commit.recorded_at, commit.aggregate_id, commit.base_version)


def _describe(error: Exception) -> str:
    detail = str(error)
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def reactions_markdown(table: ReactionTable, events: Mapping[str, AggregateType]) -> str:
    """The reaction table as documentation: each reaction, then "event → reactions"."""
    lines = [
        "# What happens after a commit",
        "",
        "Generated from `src/flowra_core/app/delivery/table.py` by `python tools/reactions_doc.py`"
        " (a unit test fails when this file is out of date). Reactions run in this order, inline"
        " right after the commit, and the worker's `relay` sweep retries any that failed"
        " (design §2.6).",
        "",
        "| reaction | what it does | runs for |",
        "|---|---|---|",
    ]
    for reaction in table:
        kinds = ", ".join(sorted(a.value for a in reaction.aggregates))
        scope = "every event" if reaction.events is None else ", ".join(sorted(reaction.events))
        scope += " (REST changes only)" if reaction.when is not None else ""
        lines.append(f"| `{reaction.name}` | {reaction.description} | {kinds}: {scope} |")
    lines += ["", "| event | reactions, in order |", "|---|---|"]
    for event_type in sorted(events):
        names = [
            f"`{r.name}`" + (" (REST changes)" if r.when is not None else "")
            for r in table
            if r.handles_event(events[event_type], event_type)
        ]
        lines.append(f"| `{event_type}` | {', '.join(names) or '—'} |")
    return "\n".join(lines) + "\n"
