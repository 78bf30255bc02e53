"""In-memory reaction work list."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from flowra_core.ports.reaction_work import ReactionTask, WorkBacklog


class InMemoryReactionWork:
    def __init__(self) -> None:
        self._tasks: dict[str, ReactionTask] = {}

    async def begin(self, task: ReactionTask) -> None:
        self._tasks.setdefault(task.commit_id, task)

    async def finish(self, commit_id: str) -> None:
        self._tasks.pop(commit_id, None)

    async def postpone(self, task: ReactionTask) -> None:
        if task.commit_id in self._tasks:
            self._tasks[task.commit_id] = task

    async def due(self, *, now: datetime, limit: int) -> Sequence[ReactionTask]:
        ready = [t for t in self._tasks.values() if not t.parked and t.due_at <= now]
        return sorted(ready, key=lambda t: (t.due_at, t.commit_id))[: max(limit, 0)]

    async def parked(self, *, limit: int) -> Sequence[ReactionTask]:
        parked = [t for t in self._tasks.values() if t.parked]
        return sorted(parked, key=lambda t: (t.created_at, t.commit_id))[: max(limit, 0)]

    async def unpark(self, *, now: datetime) -> int:
        parked = [t for t in self._tasks.values() if t.parked]
        for task in parked:
            self._tasks[task.commit_id] = dataclasses.replace(
                task, parked=False, attempts=0, due_at=now
            )
        return len(parked)

    async def backlog(self) -> WorkBacklog:
        pending = [t for t in self._tasks.values() if not t.parked]
        return WorkBacklog(
            pending=len(pending),
            oldest_pending_at=min((t.created_at for t in pending), default=None),
            parked=len(self._tasks) - len(pending),
        )

    def tasks(self) -> list[ReactionTask]:
        """Every stored task (tests)."""
        return list(self._tasks.values())
