"""The relay and the projection catch-up: nothing committed is ever lost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.app.relay import STUCK_AFTER_ATTEMPTS, backoff_seconds
from flowra_core.domain.chat import NewChat
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.domain.events import EventEnvelope
from flowra_core.domain.notification import NotificationType
from flowra_core.domain.user import UserSource
from flowra_core.ports.event_bus import EventHandler, LiveGapHandler
from flowra_core.ports.identity import IdentityClaims
from flowra_core.ports.search import SearchEntry, SearchIndex, SearchQuery
from flowra_core.testing.builder import in_memory_ports
from flowra_core.testing.clock import FixedClock, SeededIds, SeededTokens
from flowra_core.testing.event_bus import InMemoryEventBus
from flowra_core.testing.event_store import InMemoryEventStore


class SwitchableBus:
    """The in-memory bus; while `down`, publishing fails like a Redis outage."""

    def __init__(self) -> None:
        self.inner = InMemoryEventBus()
        self.down = False
        self.delivered: list[str] = []

    def subscribe(self, name: str, handler: EventHandler) -> None:
        self.inner.subscribe(name, handler)

    def listen(self, handler: EventHandler) -> None:
        self.inner.listen(handler)

    def on_live_gap(self, handler: LiveGapHandler) -> None:
        self.inner.on_live_gap(handler)

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        if self.down:
            raise ServiceUnavailable("redis", "connection refused")
        self.delivered.extend(envelope.event_id for envelope in events)
        await self.inner.publish(events)


class FlakySearchIndex:
    """The in-memory search index; the next `put` fails while `fail_next` is set, like a
    database timeout in the middle of the projections."""

    def __init__(self, inner: SearchIndex) -> None:
        self.inner = inner
        self.fail_next = False

    async def put(self, entry: SearchEntry) -> None:
        if self.fail_next:
            self.fail_next = False
            raise ServiceUnavailable("mongodb", "timeout")
        await self.inner.put(entry)

    async def revise(
        self, entry_id: str, *, text: str, tokens: Sequence[str], version: int
    ) -> None:
        await self.inner.revise(entry_id, text=text, tokens=tokens, version=version)

    async def remove(self, entry_id: str, *, version: int) -> None:
        await self.inner.remove(entry_id, version=version)

    async def remove_chat(self, chat_id: str) -> None:
        await self.inner.remove_chat(chat_id)

    async def search(self, query: SearchQuery) -> Sequence[SearchEntry]:
        return await self.inner.search(query)


@dataclass
class Rig:
    core: FlowraCore
    store: InMemoryEventStore
    clock: FixedClock
    bus: SwitchableBus
    search: FlakySearchIndex


@pytest.fixture
async def rig() -> Rig:
    clock = FixedClock()
    ports, adapters = in_memory_ports(clock=clock, ids=SeededIds(), tokens=SeededTokens())
    bus = SwitchableBus()
    search = FlakySearchIndex(ports.search)
    core = FlowraCore(replace(ports, bus=bus, search=search))
    await core.users.ensure_bot()
    return Rig(core, adapters.event_store, clock, bus, search)


async def _alice(rig: Rig) -> Actor:
    user = await rig.core.users.provision(
        IdentityClaims("local:alice", "alice", None, None, False, UserSource.DEV)
    )
    return Actor(user.id)


async def _workspace_while_bus_down(rig: Rig) -> list[str]:
    alice = await _alice(rig)
    rig.bus.down = True
    await rig.core.workspaces.create(alice, name="Team", description=None)
    rig.bus.down = False
    return [e.event_id for e in rig.store.all_events()][-2:]


class TestRelay:
    async def test_a_commit_the_bus_refused_is_published_after_the_grace(self, rig: Rig) -> None:
        missed = await _workspace_while_bus_down(rig)
        relay = rig.core.relay(batch_size=100)
        assert (await relay.run_once()).published == 0  # still within the 2 s grace
        rig.clock.advance(timedelta(seconds=3))
        report = await relay.run_once()
        assert report.published == 1
        assert rig.bus.delivered[-2:] == missed
        assert (await relay.run_once()).published == 0

    async def test_failures_back_off_and_become_stuck_but_are_never_dropped(self, rig: Rig) -> None:
        missed = await _workspace_while_bus_down(rig)
        relay = rig.core.relay(batch_size=100)
        rig.bus.down = True
        for attempt in range(1, STUCK_AFTER_ATTEMPTS + 1):
            rig.clock.advance(timedelta(seconds=backoff_seconds(attempt) + 3))
            assert (await relay.run_once()).failed == 1
            assert (await relay.run_once()).failed == 0  # backing off: not tried again yet
        backlog = await rig.store.backlog(stuck_after_attempts=STUCK_AFTER_ATTEMPTS)
        assert backlog.stuck == 2
        rig.bus.down = False
        rig.clock.advance(timedelta(seconds=backoff_seconds(STUCK_AFTER_ATTEMPTS + 1)))
        assert (await relay.run_once()).published == 1
        assert rig.bus.delivered[-2:] == missed

    async def test_an_operator_replays_parked_commits_without_waiting_for_the_back_off(
        self, rig: Rig
    ) -> None:
        missed = await _workspace_while_bus_down(rig)
        relay = rig.core.relay(batch_size=100)
        rig.bus.down = True
        for attempt in range(1, STUCK_AFTER_ATTEMPTS + 1):
            rig.clock.advance(timedelta(seconds=backoff_seconds(attempt) + 3))
            await relay.run_once()
        assert (await relay.replay_stuck()).failed == 1  # still down: one more attempt
        rig.bus.down = False

        report = await relay.replay_stuck()

        assert (report.published, report.failed) == (1, 0)
        assert rig.bus.delivered[-2:] == missed
        assert (await rig.store.backlog(stuck_after_attempts=STUCK_AFTER_ATTEMPTS)).stuck == 0
        assert (await relay.replay_stuck()).published == 0

    def test_backoff_doubles_from_one_second_up_to_five_minutes(self) -> None:
        assert [backoff_seconds(n) for n in (1, 2, 3, 10, 30)] == [1, 2, 4, 300, 300]


class TestProjectionCatchup:
    async def test_an_unconfirmed_commit_is_reapplied_after_the_grace(self, rig: Rig) -> None:
        alice = await _alice(rig)
        workspace = await rig.core.workspaces.create(alice, name="Team", description=None)
        rig.search.fail_next = True
        # The commit is stored, so the command succeeds; its projections are left to the worker.
        await rig.core.chats.create(
            alice, workspace.workspace.id, NewChat(type="task", title="Deploy the release")
        )
        assert (await rig.store.backlog(stuck_after_attempts=10)).unprojected == 2
        hits = await _search(rig, alice, workspace.workspace.id)
        assert hits == []
        rig.clock.advance(timedelta(seconds=6))
        assert await rig.core.catchup(batch_size=10).run_once() == 1
        assert (await rig.store.backlog(stuck_after_attempts=10)).unprojected == 0
        assert await _search(rig, alice, workspace.workspace.id) == ["Deploy the release"]


async def _search(rig: Rig, actor: Actor, workspace_id: str) -> list[str]:
    page = await rig.core.search.search(actor, workspace_id, q="deplo")
    return [hit.chat_title for hit in page.items]


class TestDispatchSweep:
    async def _task_assigned_to_bob_while_bus_down(self, rig: Rig) -> Actor:
        alice = await _alice(rig)
        bob_user = await rig.core.users.provision(
            IdentityClaims("local:bob", "bob", None, None, False, UserSource.DEV)
        )
        bob = Actor(bob_user.id)
        workspace = await rig.core.workspaces.create(alice, name="Team", description=None)
        await rig.core.workspaces.add_member(
            alice, workspace.workspace.id, user_id=bob.user_id, username=None, role=None
        )
        rig.bus.down = True
        await rig.core.chats.create(
            alice,
            workspace.workspace.id,
            NewChat(type="task", title="Ship it", assignee_id=bob.user_id),
        )
        rig.bus.down = False
        return bob

    async def _notified(self, rig: Rig, actor: Actor) -> list[NotificationType]:
        page = await rig.core.notifications.list(actor)
        return [item.type for item in page.items]

    async def test_the_consumer_confirms_what_it_handled(self, rig: Rig) -> None:
        alice = await _alice(rig)
        await rig.core.workspaces.create(alice, name="Team", description=None)

        backlog = await rig.store.backlog(stuck_after_attempts=STUCK_AFTER_ATTEMPTS)

        assert (backlog.undispatched, backlog.oldest_undispatched_at) == (0, None)

    async def test_an_event_the_consumer_never_saw_is_dispatched_after_ten_seconds(
        self, rig: Rig
    ) -> None:
        bob = await self._task_assigned_to_bob_while_bus_down(rig)
        sweep = rig.core.dispatch_sweep(batch_size=100)
        assert await self._notified(rig, bob) == []
        assert (await sweep.run_once()).dispatched == 0  # within the 10 s grace

        rig.clock.advance(timedelta(seconds=11))
        report = await sweep.run_once()

        assert (report.dispatched, report.failed) == (1, 0)
        assert await self._notified(rig, bob) == [NotificationType.CHAT_ADDED]
        backlog = await rig.store.backlog(stuck_after_attempts=STUCK_AFTER_ATTEMPTS)
        assert backlog.undispatched == 0

    async def test_the_relay_redelivering_a_swept_commit_notifies_nobody_twice(
        self, rig: Rig
    ) -> None:
        bob = await self._task_assigned_to_bob_while_bus_down(rig)
        rig.clock.advance(timedelta(seconds=11))
        await rig.core.dispatch_sweep(batch_size=100).run_once()

        assert (await rig.core.relay(batch_size=100).run_once()).published == 1

        assert await self._notified(rig, bob) == [NotificationType.CHAT_ADDED]
