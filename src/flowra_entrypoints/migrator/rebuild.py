"""`flowra-migrator rebuild-projections`: drop the projections in scope, then replay their
commits from `commits` in journal order, as the write path applied them: each commit brings
its aggregate's state document to the commit's version (the stored document, rebuilt up to
the previous commit, plus the commit's events) and runs the core's projectors.

Replaying commit by commit, not jumping to each aggregate's latest state, lets every
projector see what it saw when the commit was first applied, so a rebuild reproduces the read
models document for document; running it again changes nothing. Writers must be stopped meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flowra_adapters.mongo.core_ports import mongo_core_ports
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.rebuild import (
    RebuildScope,
    clear,
    commits_in_journal_order,
    count_commits,
)
from flowra_adapters.system import RandomTokens, SystemClock, Uuid4Ids
from flowra_core.app.core import FlowraCore
from flowra_core.app.delivery.reactions import ReactionTable
from flowra_core.app.write_path import AggregateKind
from flowra_core.memory.event_bus import InMemoryEventBus
from flowra_core.memory.files import InMemoryBlobStorage
from flowra_core.memory.presence import InMemoryPresence
from flowra_core.ports.event_store import Commit

Progress = Callable[[int, int], None]
"""`(commits replayed, commits in scope)`, called after each commit (and once at 0)."""


def _quiet(done: int, total: int) -> None:
    """The default progress callback: nothing is reported."""


@dataclass(frozen=True, slots=True)
class RebuildReport:
    scope: str
    commits: int
    deleted: Mapping[str, int]  # documents dropped, per collection
    seconds: float


def projection_core(database: MongoDatabase) -> FlowraCore:
    """A core whose stores are the database's; nothing it replays is published, and the
    projectors never read presence or uploaded bytes, so those stay in memory."""
    return FlowraCore(
        mongo_core_ports(
            database,
            clock=SystemClock(),
            ids=Uuid4Ids(),
            tokens=RandomTokens(),
            bus=InMemoryEventBus(),
            presence=InMemoryPresence(),
            blobs=InMemoryBlobStorage(),
        ),
        # It replays the journal into the read models and commits nothing: no reactions.
        reactions=lambda _core: ReactionTable([]),
    )


class ProjectionRebuild:
    def __init__(self, database: MongoDatabase, core: FlowraCore) -> None:
        self._db = database
        self._core = core
        self._journal = core.ports.event_store
        self._clock = core.ports.clock

    async def run(self, scope: RebuildScope, *, progress: Progress = _quiet) -> RebuildReport:
        started = time.perf_counter()
        total = await count_commits(self._db, scope)
        deleted = await clear(self._db, scope)
        progress(0, total)
        replayed = 0
        async for item in commits_in_journal_order(self._db, scope):
            await self.replay(item.commit)
            replayed += 1
            progress(replayed, total)
        return RebuildReport(scope.label, replayed, deleted, time.perf_counter() - started)

    async def replay(self, commit: Commit) -> None:
        kind = self._core.kind_for(commit)
        await self._restore_state(kind, commit)
        await self._core.projector.project(commit)

    async def _restore_state(self, kind: AggregateKind[Any], commit: Commit) -> None:
        """Save the aggregate's state as of `commit` unless the stored one is already there."""
        aggregate_id = commit.aggregate_id
        state = await kind.store.get(aggregate_id)
        stored_version = 0 if state is None else state.version
        up_to = commit.events[-1].version
        if stored_version >= up_to:
            return
        events = commit.events
        if stored_version != commit.base_version:
            # The document is behind this commit's base (a scope that left it in place):
            # catch up from the journal first.
            events = tuple(
                await self._journal.read_stream(aggregate_id, after_version=stored_version)
            )
        for envelope in events:
            if stored_version < envelope.version <= up_to:
                state = kind.evolve(state, envelope.event, envelope.occurred_at, aggregate_id)
        if state is not None:
            await kind.store.save(state)
