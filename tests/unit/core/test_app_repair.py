"""A failed apply step after the commit (operations.md §4 "Apply"): the command succeeds, the
aggregate is queued for repair, and the repair job rebuilds its projections from the journal
(operations.md §5 "repair", spec D34)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.app.relay import STUCK_AFTER_ATTEMPTS
from flowra_core.app.repair import FAILED_AFTER_ATTEMPTS, REPAIR_LEASE, retry_delay
from flowra_core.domain.chat import Chat, ChatChanges, NewChat
from flowra_core.domain.errors import DomainError, ErrorCode, ServiceUnavailable
from flowra_core.domain.events import AggregateType, EventEnvelope
from flowra_core.domain.user import UserSource
from flowra_core.ports.identity import IdentityClaims
from flowra_core.ports.repair import RepairItem, RepairStatus
from flowra_core.ports.search import SearchEntry
from flowra_core.testing.builder import InMemoryAdapters, in_memory_ports
from flowra_core.testing.chats import InMemoryChatStore
from flowra_core.testing.clock import FixedClock, SeededIds, SeededTokens
from flowra_core.testing.repair import InMemoryRepairQueue
from flowra_core.testing.search import InMemorySearchIndex

BATCH = 10


class ChatStoreFailingSaves(InMemoryChatStore):
    """The in-memory chat documents; the next `failures_ahead` saves fail like a timeout."""

    def __init__(self) -> None:
        super().__init__()
        self.failures_ahead = 0

    async def save(self, state: Chat) -> None:
        if self.failures_ahead:
            self.failures_ahead -= 1
            raise ServiceUnavailable("mongodb", "timeout")
        await super().save(state)


class SearchIndexFailingPuts(InMemorySearchIndex):
    """The in-memory search index; the next `put` fails while `fail_next` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_next = False

    async def put(self, entry: SearchEntry) -> None:
        if self.fail_next:
            self.fail_next = False
            raise ServiceUnavailable("mongodb", "timeout")
        await super().put(entry)


class UnreachableRepairQueue(InMemoryRepairQueue):
    """The in-memory queue while the database is down for it."""

    async def enqueue(
        self, aggregate_type: AggregateType, aggregate_id: str, reason: str, **when: object
    ) -> RepairItem:
        raise ServiceUnavailable("mongodb", "connection refused")


@dataclass
class Rig:
    core: FlowraCore
    adapters: InMemoryAdapters
    clock: FixedClock
    chats: ChatStoreFailingSaves
    search: SearchIndexFailingPuts
    queue: InMemoryRepairQueue
    published: list[EventEnvelope]
    alice: Actor
    workspace_id: str

    async def task(self, title: str) -> str:
        view = await self.core.chats.create(
            self.alice, self.workspace_id, NewChat(type="task", title=title)
        )
        return view.chat.id

    async def retitle(self, chat_id: str, title: str) -> str:
        view = await self.core.chats.patch(
            self.alice, self.workspace_id, chat_id, ChatChanges(title=title)
        )
        return view.chat.title

    async def stored_title(self, chat_id: str) -> str | None:
        chat = await self.chats.get(chat_id)
        return None if chat is None else chat.title

    async def found(self, text: str) -> list[str]:
        page = await self.core.search.search(self.alice, self.workspace_id, q=text)
        return [hit.chat_title for hit in page.items]

    async def unprojected(self) -> int:
        backlog = await self.adapters.event_store.backlog(stuck_after_attempts=STUCK_AFTER_ATTEMPTS)
        return backlog.unprojected

    def statuses(self) -> list[RepairStatus]:
        return [item.status for item in self.queue.items()]


async def build_rig(queue: InMemoryRepairQueue | None = None) -> Rig:
    clock = FixedClock()
    ports, adapters = in_memory_ports(clock=clock, ids=SeededIds(3), tokens=SeededTokens(3))
    chats = ChatStoreFailingSaves()
    search = SearchIndexFailingPuts()
    repair_queue = queue if queue is not None else adapters.repair_queue
    core = FlowraCore(replace(ports, chats=chats, search=search, repair_queue=repair_queue))
    published: list[EventEnvelope] = []

    async def record(envelope: EventEnvelope) -> None:
        published.append(envelope)

    adapters.bus.listen(record)
    await core.users.ensure_bot()
    user = await core.users.provision(
        IdentityClaims("local:alice", "alice", None, None, False, UserSource.DEV)
    )
    alice = Actor(user.id)
    workspace = await core.workspaces.create(alice, name="Team", description=None)
    return Rig(
        core, adapters, clock, chats, search, repair_queue, published, alice, workspace.workspace.id
    )


@pytest.fixture
async def rig() -> Rig:
    return await build_rig()


class TestAFailedApplyStep:
    async def test_the_request_succeeds_and_the_job_repairs_the_read_model(self, rig: Rig) -> None:
        chat_id = await rig.task("Ship it")
        rig.chats.failures_ahead = 1

        title = await rig.retitle(chat_id, "Launch the rocket")

        assert title == "Launch the rocket"
        journal = [e for e in rig.adapters.event_store.all_events() if e.aggregate_id == chat_id]
        assert journal[-1].type == "chat.renamed"
        assert journal[-1] in rig.published  # still published
        assert await rig.stored_title(chat_id) == "Ship it"  # the read model is behind
        assert await rig.found("rocket") == []
        (item,) = rig.queue.items()
        assert (item.aggregate_type, item.aggregate_id) == (AggregateType.CHAT, chat_id)
        assert item.status is RepairStatus.PENDING
        assert item.reason.startswith("state save failed: ServiceUnavailable")

        report = await rig.core.repair(batch_size=BATCH).run_once()

        assert [repaired.id for repaired in report.repaired] == [item.id]
        assert await rig.stored_title(chat_id) == "Launch the rocket"
        assert await rig.found("rocket") == ["Launch the rocket"]
        assert await rig.unprojected() == 0
        assert rig.statuses() == [RepairStatus.DONE]
        counts = await rig.core.repair(batch_size=BATCH).counts()
        assert counts == {
            RepairStatus.PENDING: 0,
            RepairStatus.PROCESSING: 0,
            RepairStatus.DONE: 1,
            RepairStatus.FAILED: 0,
        }

    async def test_a_state_never_stored_is_rebuilt_from_the_journal_alone(self, rig: Rig) -> None:
        rig.chats.failures_ahead = 1
        chat_id = await rig.task("Ship it")
        assert await rig.stored_title(chat_id) is None

        await rig.core.repair(batch_size=BATCH).run_once()

        assert await rig.stored_title(chat_id) == "Ship it"
        shown = await rig.core.chats.get(rig.alice, rig.workspace_id, chat_id)
        assert shown.chat.title == "Ship it"
        assert await rig.found("ship") == ["Ship it"]

    async def test_a_failed_projection_is_named_in_the_reason(self, rig: Rig) -> None:
        rig.search.fail_next = True

        chat_id = await rig.task("Deploy the release")

        (item,) = rig.queue.items()
        assert item.aggregate_id == chat_id
        assert item.reason.startswith("projection failed: ServiceUnavailable")
        assert await rig.found("deplo") == []
        await rig.core.repair(batch_size=BATCH).run_once()
        assert await rig.found("deplo") == ["Deploy the release"]

    async def test_failures_of_one_aggregate_share_one_pending_item(self, rig: Rig) -> None:
        chat_id = await rig.task("Ship it")
        rig.chats.failures_ahead = 2

        await rig.retitle(chat_id, "First")
        await rig.retitle(chat_id, "Second")

        assert rig.statuses() == [RepairStatus.PENDING]
        await rig.core.repair(batch_size=BATCH).run_once()
        assert await rig.stored_title(chat_id) == "Second"

    async def test_without_the_queue_the_request_succeeds_and_the_catchup_applies_it(
        self,
    ) -> None:
        rig = await build_rig(UnreachableRepairQueue())
        chat_id = await rig.task("Ship it")
        rig.chats.failures_ahead = 1

        assert await rig.retitle(chat_id, "Launch") == "Launch"

        assert rig.queue.items() == []
        assert await rig.unprojected() > 0
        rig.clock.advance(timedelta(seconds=6))
        await rig.core.catchup(batch_size=BATCH).run_once()
        assert await rig.stored_title(chat_id) == "Launch"
        assert await rig.unprojected() == 0


class TestTheRepairJob:
    async def test_an_item_whose_worker_died_is_taken_again_after_its_lease(self, rig: Rig) -> None:
        chat_id = await rig.task("Ship it")
        rig.chats.failures_ahead = 1
        await rig.retitle(chat_id, "Launch")
        # A worker took the item and died before finishing it.
        (taken,) = await rig.queue.claim_due(now=rig.clock.now(), lease=REPAIR_LEASE, limit=5)
        repair = rig.core.repair(batch_size=BATCH)

        assert (await repair.run_once()).repaired == ()
        rig.clock.advance(REPAIR_LEASE)
        report = await repair.run_once()

        assert [item.id for item in report.repaired] == [taken.id]
        assert await rig.stored_title(chat_id) == "Launch"
        assert rig.statuses() == [RepairStatus.DONE]

    async def test_failures_back_off_and_the_fifth_leaves_the_item_failed(self, rig: Rig) -> None:
        chat_id = await rig.task("Ship it")
        rig.chats.failures_ahead = 1 + FAILED_AFTER_ATTEMPTS  # the request and every repair
        await rig.retitle(chat_id, "Launch")
        repair = rig.core.repair(batch_size=BATCH)
        waits: list[timedelta] = []

        for attempt in range(1, FAILED_AFTER_ATTEMPTS + 1):
            report = await repair.run_once()
            (failure,) = report.failures
            assert (failure.attempts, failure.gave_up) == (
                attempt,
                attempt == FAILED_AFTER_ATTEMPTS,
            )
            assert (await repair.run_once()).failures == ()  # backing off, or given up
            (item,) = rig.queue.items()
            if item.next_attempt_at is not None:
                waits.append(item.next_attempt_at - rig.clock.now())
                rig.clock.advance(item.next_attempt_at - rig.clock.now())

        assert waits == [retry_delay(n) for n in range(1, FAILED_AFTER_ATTEMPTS)]
        assert [wait.total_seconds() for wait in waits] == [30, 60, 120, 240]
        (failed,) = await repair.failed_items(limit=10)
        assert (failed.status, failed.attempts) == (RepairStatus.FAILED, FAILED_AFTER_ATTEMPTS)
        assert failed.last_error == "ServiceUnavailable: mongodb is unavailable: timeout"
        rig.clock.advance(timedelta(days=1))
        assert (await repair.run_once()).failures == ()
        assert (await repair.counts())[RepairStatus.FAILED] == 1
        assert await rig.stored_title(chat_id) == "Ship it"

    async def test_an_item_naming_the_wrong_kind_of_aggregate_fails(self, rig: Rig) -> None:
        chat_id = await rig.task("Ship it")
        await rig.queue.enqueue(
            AggregateType.WORKSPACE, chat_id, "test", item_id="wrong", now=rig.clock.now()
        )

        (failure,) = (await rig.core.repair(batch_size=BATCH).run_once()).failures

        assert failure.error.startswith("UnrepairableAggregate: the journal of")
        assert not failure.gave_up

    async def test_a_run_takes_at_most_its_batch(self, rig: Rig) -> None:
        chat_ids = [await rig.task(f"Task {n}") for n in range(3)]
        for chat_id in chat_ids:
            await rig.queue.enqueue(
                AggregateType.CHAT, chat_id, "test", item_id=chat_id, now=rig.clock.now()
            )

        report = await rig.core.repair(batch_size=2).run_once()

        assert len(report.repaired) == 2
        assert sorted(rig.statuses()) == [
            RepairStatus.DONE,
            RepairStatus.DONE,
            RepairStatus.PENDING,
        ]


async def test_a_repaired_chat_still_refuses_what_it_refused(rig: Rig) -> None:
    """The rebuilt state is the real one: commands keep working on it."""
    chat_id = await rig.task("Ship it")
    rig.chats.failures_ahead = 1
    await rig.retitle(chat_id, "Launch")
    await rig.core.repair(batch_size=BATCH).run_once()

    await rig.core.chats.delete(rig.alice, rig.workspace_id, chat_id)

    with pytest.raises(DomainError) as refused:
        await rig.retitle(chat_id, "Again")
    assert refused.value.code is ErrorCode.CHAT_NOT_FOUND
