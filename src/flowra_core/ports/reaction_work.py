"""The reaction work list (design §2.6): which commits still owe reactions.

An item is written *before* its commit is appended (write-ahead), so a process that dies
between the commit and its reactions leaves the item behind for the sweep; an item whose
commit never got stored (a conflict, a crash before the append) is dropped by the sweep.
The list holds only unfinished work, so finding it costs what is pending, never what the
journal holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ReactionTask:
    """One commit's unfinished reactions."""

    commit_id: str
    aggregate_id: str
    remaining: tuple[str, ...]
    attempts: int
    due_at: datetime
    created_at: datetime
    parked: bool = False
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class WorkBacklog:
    """What the sweep has left (health and metrics): due or backing-off items, parked ones."""

    pending: int
    oldest_pending_at: datetime | None
    parked: int


class ReactionWork(Protocol):
    async def begin(self, task: ReactionTask) -> None:
        """Record the task; called before its commit is appended. Idempotent by commit id."""
        ...

    async def finish(self, commit_id: str) -> None:
        """Every reaction of the commit is done: forget it (nothing when unknown)."""
        ...

    async def postpone(self, task: ReactionTask) -> None:
        """Replace the stored task (fewer `remaining`, more `attempts`, a later `due_at`, or
        `parked`)."""
        ...

    async def due(self, *, now: datetime, limit: int) -> Sequence[ReactionTask]:
        """At most `limit` tasks not parked with `due_at` ≤ now, oldest `due_at` first."""
        ...

    async def parked(self, *, limit: int) -> Sequence[ReactionTask]:
        """Parked tasks, oldest first: for operators to see and replay."""
        ...

    async def unpark(self, *, now: datetime) -> int:
        """Make every parked task due now with its attempts reset; how many."""
        ...

    async def backlog(self) -> WorkBacklog: ...
