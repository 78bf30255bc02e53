"""EventStore contract, the relay, catch-up and dispatch work lists: commits recorded before the
cut-off in journal order, the relay's back-off after failed attempts and its parked (stuck)
commits, the independent published, projected and dispatched markers, and the backlog the health
checks report (counted in events)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from flowra_core.ports.event_store import Commit, JournalBacklog, PendingPublication

from .backends import Ports
from .journal_samples import CREATED, T0, UPDATED, commit

pytestmark = pytest.mark.integration

LATER = T0 + timedelta(minutes=1)


def ids(found: Sequence[PendingPublication] | Sequence[Commit]) -> list[str]:
    return [
        item.commit.commit_id if isinstance(item, PendingPublication) else item.commit_id
        for item in found
    ]


async def due(
    ports: Ports, *, before: timedelta = timedelta(minutes=1), limit: int = 10
) -> list[str]:
    found = await ports.events.due_for_publication(
        recorded_before=T0 + before, now=LATER, limit=limit
    )
    return ids(found)


async def record_at(ports: Ports, *seconds: int) -> None:
    """One commit of aggregate `u<s>` recorded s seconds after T0, in the order given."""
    for second in seconds:
        await ports.events.append(
            commit(f"u{second}", 0, recorded_at=T0 + timedelta(seconds=second))
        )


class TestDueForPublication:
    async def test_recorded_order_strictly_before_the_cut_off(self, ports: Ports) -> None:
        await record_at(ports, 3, 1, 2, 4)

        assert await due(ports, before=timedelta(seconds=4)) == ["u1-c0", "u2-c0", "u3-c0"]

    async def test_the_limit_keeps_the_oldest(self, ports: Ports) -> None:
        await record_at(ports, 3, 1, 2)

        assert await due(ports, limit=2) == ["u1-c0", "u2-c0"]
        assert await due(ports, limit=0) == []

    async def test_commits_recorded_in_the_same_instant_keep_their_stream_order(
        self, ports: Ports
    ) -> None:
        for base in range(5):
            await ports.events.append(commit("u1", base, commit_id=f"c-{9 - base}"))

        assert await due(ports) == ["c-9", "c-8", "c-7", "c-6", "c-5"]

    async def test_whole_commits_with_their_failed_attempts(self, ports: Ports) -> None:
        stored = commit("u1", 0, CREATED, UPDATED)
        await ports.events.append(stored)

        found = await ports.events.due_for_publication(recorded_before=LATER, now=LATER, limit=5)

        assert list(found) == [PendingPublication(stored, 0)]

    async def test_a_failed_commit_waits_for_its_next_attempt(self, ports: Ports) -> None:
        await record_at(ports, 1, 2)
        retry_at = LATER + timedelta(seconds=30)
        await ports.events.record_publish_failure(
            "u1-c0", attempts=3, next_attempt_at=retry_at, error="redis down"
        )

        waiting = await ports.events.due_for_publication(recorded_before=LATER, now=LATER, limit=5)
        retried = await ports.events.due_for_publication(
            recorded_before=LATER, now=retry_at, limit=5
        )

        assert ids(waiting) == ["u2-c0"]
        assert [(p.commit.commit_id, p.attempts) for p in retried] == [("u1-c0", 3), ("u2-c0", 0)]

    async def test_a_published_commit_is_done(self, ports: Ports) -> None:
        await record_at(ports, 1, 2)

        await ports.events.mark_published("u1-c0", T0)
        await ports.events.mark_published("u1-c0", LATER)

        assert await due(ports) == ["u2-c0"]


class TestUnprojected:
    async def test_recorded_order_before_the_cut_off_up_to_the_limit(self, ports: Ports) -> None:
        await record_at(ports, 3, 1, 2, 4)

        found = await ports.events.unprojected(recorded_before=T0 + timedelta(seconds=4), limit=2)

        assert ids(found) == ["u1-c0", "u2-c0"]

    async def test_projected_and_published_are_marked_independently(self, ports: Ports) -> None:
        await record_at(ports, 1, 2)

        await ports.events.mark_published("u1-c0", T0)
        await ports.events.mark_projected("u2-c0", T0)

        assert ids(await ports.events.unprojected(recorded_before=LATER, limit=5)) == ["u1-c0"]
        assert await due(ports) == ["u2-c0"]


class TestBacklog:
    async def test_an_empty_journal_has_no_backlog(self, ports: Ports) -> None:
        assert await ports.events.backlog(stuck_after_attempts=10) == JournalBacklog(
            unpublished=0,
            oldest_unpublished_at=None,
            stuck=0,
            unprojected=0,
            oldest_unprojected_at=None,
            undispatched=0,
            oldest_undispatched_at=None,
        )

    async def test_events_waiting_oldest_first_and_stuck_ones(self, ports: Ports) -> None:
        await ports.events.append(commit("u1", 0, CREATED, UPDATED, recorded_at=T0))
        later = T0 + timedelta(seconds=5)
        await ports.events.append(commit("u2", 0, CREATED, UPDATED, UPDATED, recorded_at=later))
        await ports.events.append(commit("u3", 0, recorded_at=LATER))
        await ports.events.mark_published("u1-c0", LATER)
        await ports.events.mark_projected("u1-c0", LATER)
        await ports.events.mark_projected("u2-c0", LATER)
        await ports.events.mark_dispatched("u1-c0", LATER)
        await ports.events.record_publish_failure(
            "u2-c0", attempts=10, next_attempt_at=LATER, error="redis down"
        )

        backlog = await ports.events.backlog(stuck_after_attempts=10)

        assert backlog == JournalBacklog(
            unpublished=4,
            oldest_unpublished_at=later,
            stuck=3,
            unprojected=1,
            oldest_unprojected_at=LATER,
            undispatched=4,
            oldest_undispatched_at=later,
        )


class TestStuck:
    async def test_parked_commits_in_journal_order_whatever_their_back_off(
        self, ports: Ports
    ) -> None:
        await record_at(ports, 3, 1, 2)
        far = LATER + timedelta(hours=1)
        for commit_id, attempts in (("u3-c0", 12), ("u1-c0", 10), ("u2-c0", 9)):
            await ports.events.record_publish_failure(
                commit_id, attempts=attempts, next_attempt_at=far, error="redis down"
            )

        parked = await ports.events.stuck(stuck_after_attempts=10, limit=5)

        assert [(p.commit.commit_id, p.attempts) for p in parked] == [("u1-c0", 10), ("u3-c0", 12)]
        assert ids(await ports.events.stuck(stuck_after_attempts=10, limit=1)) == ["u1-c0"]

    async def test_a_published_commit_is_no_longer_parked(self, ports: Ports) -> None:
        await record_at(ports, 1)
        await ports.events.record_publish_failure(
            "u1-c0", attempts=10, next_attempt_at=LATER, error="redis down"
        )

        await ports.events.mark_published("u1-c0", LATER)

        assert await ports.events.stuck(stuck_after_attempts=10, limit=5) == []


class TestUndispatched:
    async def test_recorded_order_before_the_cut_off_up_to_the_limit(self, ports: Ports) -> None:
        await record_at(ports, 3, 1, 2, 4)

        found = await ports.events.undispatched(recorded_before=T0 + timedelta(seconds=4), limit=2)

        assert ids(found) == ["u1-c0", "u2-c0"]

    async def test_a_dispatched_commit_is_done_and_keeps_its_first_time(self, ports: Ports) -> None:
        await record_at(ports, 1, 2)

        await ports.events.mark_dispatched("u1-c0", T0)
        await ports.events.mark_dispatched("u1-c0", LATER)

        assert ids(await ports.events.undispatched(recorded_before=LATER, limit=5)) == ["u2-c0"]
        backlog = await ports.events.backlog(stuck_after_attempts=10)
        assert (backlog.undispatched, backlog.oldest_undispatched_at) == (
            1,
            T0 + timedelta(seconds=2),
        )

    async def test_the_last_event_of_a_commit_marks_it(self, ports: Ports) -> None:
        await ports.events.append(commit("u1", 0, CREATED, UPDATED))
        await ports.events.append(commit("u1", 2, UPDATED, UPDATED, UPDATED))
        await ports.events.append(commit("u2", 0, CREATED, recorded_at=T0 + timedelta(seconds=1)))

        await ports.events.mark_dispatched_through("u1", 4, LATER)  # inside u1-c2
        await ports.events.mark_dispatched_through("u1", 2, LATER)  # last of u1-c0
        await ports.events.mark_dispatched_through("u1", 9, LATER)  # unknown version
        await ports.events.mark_dispatched_through("u9", 1, LATER)  # unknown stream

        remaining = await ports.events.undispatched(recorded_before=LATER, limit=5)
        assert ids(remaining) == ["u1-c2", "u2-c0"]

        await ports.events.mark_dispatched_through("u1", 5, LATER)

        assert ids(await ports.events.undispatched(recorded_before=LATER, limit=5)) == ["u2-c0"]
