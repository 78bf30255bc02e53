"""ReactionWork contract (design §2.6): tasks recorded per commit, due ones oldest first,
postponed and parked ones, replay of the parked, and the backlog the health checks report."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from flowra_core.ports.reaction_work import ReactionTask

from .backends import Ports
from .journal_samples import T0

pytestmark = pytest.mark.integration


def task(commit_id: str, *, due_in: int = 0, created: int = 0) -> ReactionTask:
    return ReactionTask(
        commit_id=commit_id,
        aggregate_id=f"agg-{commit_id}",
        remaining=("state", "live"),
        attempts=0,
        due_at=T0 + timedelta(seconds=due_in),
        created_at=T0 + timedelta(seconds=created),
    )


async def due_ids(ports: Ports, *, at: int = 60, limit: int = 10) -> list[str]:
    found = await ports.reaction_work.due(now=T0 + timedelta(seconds=at), limit=limit)
    return [item.commit_id for item in found]


async def test_a_task_reads_back_as_recorded(ports: Ports) -> None:
    recorded = task("c1", due_in=5, created=1)
    await ports.reaction_work.begin(recorded)

    assert await ports.reaction_work.due(now=T0 + timedelta(seconds=5), limit=5) == [recorded]


async def test_due_tasks_oldest_due_first_within_the_limit(ports: Ports) -> None:
    for commit_id, due_in in (("c3", 3), ("c1", 1), ("c2", 2), ("c9", 90)):
        await ports.reaction_work.begin(task(commit_id, due_in=due_in))

    assert await due_ids(ports) == ["c1", "c2", "c3"]
    assert await due_ids(ports, limit=2) == ["c1", "c2"]
    assert await due_ids(ports, limit=0) == []


async def test_begin_twice_keeps_the_first(ports: Ports) -> None:
    await ports.reaction_work.begin(task("c1", due_in=1))
    await ports.reaction_work.begin(task("c1", due_in=99))

    assert await due_ids(ports) == ["c1"]


async def test_a_finished_task_is_gone_and_finishing_again_is_harmless(ports: Ports) -> None:
    await ports.reaction_work.begin(task("c1"))
    await ports.reaction_work.finish("c1")
    await ports.reaction_work.finish("c1")
    await ports.reaction_work.finish("never-recorded")

    assert await due_ids(ports) == []
    assert (await ports.reaction_work.backlog()).pending == 0


async def test_postpone_keeps_what_is_left_and_waits(ports: Ports) -> None:
    await ports.reaction_work.begin(task("c1"))
    later = dataclasses.replace(
        task("c1"),
        remaining=("live",),
        attempts=1,
        due_at=T0 + timedelta(seconds=120),
        last_error="live: ServiceUnavailable",
    )
    await ports.reaction_work.postpone(later)

    assert await due_ids(ports, at=60) == []
    assert await ports.reaction_work.due(now=T0 + timedelta(seconds=120), limit=5) == [later]


async def test_parked_tasks_leave_the_due_list_until_replayed(ports: Ports) -> None:
    await ports.reaction_work.begin(task("c1", created=1))
    await ports.reaction_work.begin(task("c2", created=2))
    parked = dataclasses.replace(task("c1", created=1), attempts=10, parked=True)
    await ports.reaction_work.postpone(parked)

    assert await due_ids(ports) == ["c2"]
    assert [t.commit_id for t in await ports.reaction_work.parked(limit=5)] == ["c1"]
    backlog = await ports.reaction_work.backlog()
    assert (backlog.pending, backlog.parked) == (1, 1)
    assert backlog.oldest_pending_at == T0 + timedelta(seconds=2)

    assert await ports.reaction_work.unpark(now=T0 + timedelta(seconds=30)) == 1

    assert await ports.reaction_work.parked(limit=5) == []
    replayed = await ports.reaction_work.due(now=T0 + timedelta(seconds=30), limit=5)
    assert [(t.commit_id, t.attempts, t.parked) for t in replayed] == [
        ("c2", 0, False),  # due since T0
        ("c1", 0, False),  # due from the replay on
    ]


async def test_an_empty_list_has_an_empty_backlog(ports: Ports) -> None:
    backlog = await ports.reaction_work.backlog()

    assert (backlog.pending, backlog.oldest_pending_at, backlog.parked) == (0, None, 0)
