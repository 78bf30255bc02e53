"""After the commit, one door (design §2.6): a reaction that fails never fails the command; the
work list keeps what the commit still owes, the sweep runs it after its back-off, parks it
after PARK_AFTER_ATTEMPTS failures and runs it again on replay; a process that dies between
the commit and its reactions leaves the task for the sweep; a reaction run twice does nothing
twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.app.delivery.reactions import (
    INLINE_GRACE,
    ORPHAN_AFTER,
    PARK_AFTER_ATTEMPTS,
    backoff,
)
from flowra_core.domain.chat import Chat, ChatChanges, NewChat
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.domain.events import EventEnvelope
from flowra_core.domain.user import UserSource
from flowra_core.memory.chats import InMemoryChatStore
from flowra_core.memory.event_bus import InMemoryEventBus
from flowra_core.memory.messages import InMemorySummaryDraftStore
from flowra_core.memory.search import InMemorySearchIndex
from flowra_core.ports.event_store import Commit
from flowra_core.ports.identity import IdentityClaims
from flowra_core.ports.messages import SummaryDraft
from flowra_core.ports.reaction_work import ReactionTask
from flowra_core.ports.search import SearchEntry
from flowra_core.testing.builder import InMemoryAdapters, in_memory_ports
from flowra_core.testing.clock import FixedClock, SeededIds, SeededTokens

BATCH = 50


def _outage() -> ServiceUnavailable:
    return ServiceUnavailable("mongodb", "timeout")


class Failing:
    """How many of the next calls fail like a timeout."""

    def __init__(self) -> None:
        self.ahead = 0

    def check(self) -> None:
        if self.ahead:
            self.ahead -= 1
            raise _outage()


class ChatStoreFailingSaves(InMemoryChatStore):
    """`failing`: saves; `lookups_failing`: the departure cascade's look-up of a member's chats;
    `raises_failing`: a new message raising the chat's last-message time."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = Failing()
        self.lookups_failing = Failing()
        self.raises_failing = Failing()

    async def raise_last_message_at(self, chat_id: str, at: datetime) -> None:
        self.raises_failing.check()
        await super().raise_last_message_at(chat_id, at)

    async def save(self, state: Chat) -> None:
        self.failing.check()
        await super().save(state)

    async def ids_with_participant(self, workspace_id: str, user_id: str) -> list[str]:
        self.lookups_failing.check()
        return list(await super().ids_with_participant(workspace_id, user_id))


class SearchIndexFailingPuts(InMemorySearchIndex):
    def __init__(self) -> None:
        super().__init__()
        self.failing = Failing()

    async def put(self, entry: SearchEntry) -> None:
        self.failing.check()
        await super().put(entry)


class DraftsFailingSaves(InMemorySummaryDraftStore):
    def __init__(self) -> None:
        super().__init__()
        self.failing = Failing()

    async def save(self, draft: SummaryDraft) -> None:
        self.failing.check()
        await super().save(draft)


class BusThatMayBeDown(InMemoryEventBus):
    def __init__(self) -> None:
        super().__init__()
        self.down = False

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        if self.down:
            raise ServiceUnavailable("redis", "connection refused")
        await super().publish(events)


@dataclass
class Rig:
    core: FlowraCore
    adapters: InMemoryAdapters
    clock: FixedClock
    chats: ChatStoreFailingSaves
    search: SearchIndexFailingPuts
    drafts: DraftsFailingSaves
    bus: BusThatMayBeDown
    published: list[EventEnvelope]
    alice: Actor
    bob: Actor
    workspace_id: str

    async def task(self, title: str, *participants: Actor) -> str:
        draft = NewChat(
            type="task", title=title, participant_ids=tuple(p.user_id for p in participants)
        )
        view = await self.core.chats.create(self.alice, self.workspace_id, draft)
        return view.chat.id

    async def found(self, text: str) -> list[str]:
        page = await self.core.search.search(self.alice, self.workspace_id, q=text)
        return [hit.chat_title for hit in page.items]

    def tasks(self) -> list[ReactionTask]:
        return self.adapters.reaction_work.tasks()

    async def sweep_after(self, delay: timedelta) -> None:
        self.clock.advance(delay)
        await self.core.reactions.sweep(limit=BATCH)

    async def mentions_of_bob(self) -> int:
        inbox = await self.core.notifications.list(self.bob, limit=10)
        return [n.type.value for n in inbox.items].count("chat.mention")

    async def summaries(self, chat_id: str) -> list[str]:
        page = await self.core.message_reads.list_top_level(
            self.alice, self.workspace_id, chat_id, limit=50, cursor=None
        )
        return [m.message.content for m in page.items if m.message.type == "system"]


async def provision(core: FlowraCore, name: str) -> Actor:
    claims = IdentityClaims(f"local:{name}", name, None, None, False, UserSource.DEV)
    return Actor((await core.users.provision(claims)).id)


@pytest.fixture
async def rig() -> Rig:
    clock = FixedClock()
    ports, adapters = in_memory_ports(clock=clock, ids=SeededIds(3), tokens=SeededTokens(3))
    chats, search, drafts = ChatStoreFailingSaves(), SearchIndexFailingPuts(), DraftsFailingSaves()
    bus = BusThatMayBeDown()
    core = FlowraCore(replace(ports, chats=chats, search=search, summary_drafts=drafts, bus=bus))
    published: list[EventEnvelope] = []

    async def record(envelope: EventEnvelope) -> None:
        published.append(envelope)

    bus.listen(record)
    await core.users.ensure_bot()
    alice, bob = await provision(core, "alice"), await provision(core, "bob")
    workspace = await core.workspaces.create(alice, name="Team", description=None)
    await core.workspaces.add_member(
        alice, workspace.workspace.id, user_id=bob.user_id, username=None, role=None
    )
    return Rig(
        core,
        adapters,
        clock,
        chats,
        search,
        drafts,
        bus,
        published,
        alice,
        bob,
        workspace.workspace.id,
    )


async def test_a_finished_commit_leaves_nothing_in_the_work_list(rig: Rig) -> None:
    await rig.task("All good")

    assert rig.tasks() == []


class TestAFailedReaction:
    async def test_the_command_succeeds_and_only_the_failed_reaction_is_left(
        self, rig: Rig
    ) -> None:
        rig.search.failing.ahead = 1

        chat_id = await rig.task("Indexing broke")

        [task] = rig.tasks()
        assert task.remaining == ("projection.search",)
        assert (task.attempts, task.parked) == (1, False)
        assert task.due_at == rig.clock.now() + backoff(1)
        assert "ServiceUnavailable" in (task.last_error or "")
        assert await rig.found("Indexing") == []
        assert (await rig.chats.get(chat_id)) is not None  # the state save went through

    async def test_the_sweep_waits_for_the_back_off_then_finishes_it(self, rig: Rig) -> None:
        rig.search.failing.ahead = 1
        await rig.task("Indexing broke")

        await rig.sweep_after(backoff(1) - timedelta(milliseconds=1))
        assert len(rig.tasks()) == 1

        await rig.sweep_after(timedelta(milliseconds=1))
        assert rig.tasks() == []
        assert await rig.found("Indexing") == ["Indexing broke"]

    async def test_a_failed_state_save_is_rebuilt_from_the_journal(self, rig: Rig) -> None:
        chat_id = await rig.task("Old title")
        rig.chats.failing.ahead = 1

        await rig.core.chats.patch(rig.alice, rig.workspace_id, chat_id, ChatChanges(title="New"))

        stale = await rig.chats.get(chat_id)
        assert stale is not None
        assert stale.title == "Old title"
        await rig.sweep_after(backoff(1))
        fresh = await rig.chats.get(chat_id)
        assert fresh is not None
        assert (fresh.title, fresh.version) == ("New", stale.version + 1)
        assert rig.tasks() == []

    async def test_a_late_replay_does_not_bring_back_a_deleted_messages_time(
        self, rig: Rig
    ) -> None:
        """The sweep runs the send's timeline after the delete already ran inline."""
        chat_id = await rig.task("Quiet")
        rig.chats.raises_failing.ahead = 1
        sent = await rig.core.messages.send(rig.alice, rig.workspace_id, chat_id, content="oops")
        await rig.core.messages.delete(
            rig.alice, rig.workspace_id, chat_id, sent.message.message.id
        )

        await rig.sweep_after(backoff(1))

        assert rig.tasks() == []
        assert await rig.chats.last_message_at([chat_id]) == {}

    async def test_the_bus_down_leaves_publication_to_the_sweep_in_order(self, rig: Rig) -> None:
        rig.bus.down = True
        first = await rig.task("First")
        rig.clock.advance(timedelta(milliseconds=5))
        second = await rig.task("Second")
        assert [t.remaining for t in rig.tasks()] == [("live",), ("live",)]
        before = len(rig.published)

        rig.bus.down = False
        await rig.sweep_after(backoff(1))

        created = [e.aggregate_id for e in rig.published[before:] if e.type == "chat.created"]
        assert created == [first, second]
        assert rig.tasks() == []

    async def test_after_repeated_failures_it_is_parked_then_replayed(self, rig: Rig) -> None:
        rig.bus.down = True
        await rig.task("Unlucky")
        for attempt in range(1, PARK_AFTER_ATTEMPTS):
            await rig.sweep_after(backoff(attempt))
        [parked] = rig.tasks()
        assert (parked.attempts, parked.parked) == (PARK_AFTER_ATTEMPTS, True)

        await rig.sweep_after(timedelta(days=1))
        assert rig.tasks() == [parked]  # parked: never dropped, never retried on its own

        rig.bus.down = False
        assert await rig.core.reactions.replay_parked() == 1
        await rig.core.reactions.sweep(limit=BATCH)
        assert rig.tasks() == []
        assert "chat.created" in [e.type for e in rig.published]


class TestFollowUpsThatUsedToBeLost:
    async def test_a_summary_that_failed_is_posted_by_the_sweep_once(self, rig: Rig) -> None:
        chat_id = await rig.task("Fix login")
        rig.drafts.failing.ahead = 1

        await rig.core.chats.patch(
            rig.alice, rig.workspace_id, chat_id, ChatChanges(priority="High")
        )
        [task] = rig.tasks()
        assert task.remaining == ("chat.change_summary",)

        await rig.sweep_after(backoff(1))
        # The first run stored the message before its draft failed: the retry finds it.
        assert await rig.summaries(chat_id) == ["alice set priority to High"]
        assert rig.tasks() == []

    async def test_a_departed_member_leaves_every_chat_even_when_the_cascade_failed(
        self, rig: Rig
    ) -> None:
        chats = [await rig.task(f"Task {n}", rig.bob) for n in range(3)]
        rig.chats.lookups_failing.ahead = 1

        await rig.core.workspaces.remove_member(rig.alice, rig.workspace_id, rig.bob.user_id)

        [task] = rig.tasks()
        assert task.remaining == ("workspace.member_departure",)
        await rig.sweep_after(backoff(1))
        for chat_id in chats:
            chat = await rig.chats.get(chat_id)
            assert chat is not None
            assert not chat.is_participant(rig.bob.user_id)
        assert rig.tasks() == []

    async def test_running_the_cascade_again_changes_nothing(self, rig: Rig) -> None:
        chat_id = await rig.task("Task", rig.bob)
        await rig.core.workspaces.remove_member(rig.alice, rig.workspace_id, rig.bob.user_id)
        workspace_commits = await rig.adapters.event_store.stream_commits(rig.workspace_id)
        versions = (await rig.chats.get(chat_id)).version  # type: ignore[union-attr]

        departure = rig.core.reactions.table.owed(
            workspace_commits[-1], ["workspace.member_departure"]
        )
        await departure[0].handle(workspace_commits[-1])

        assert (await rig.chats.get(chat_id)).version == versions  # type: ignore[union-attr]


class TestAProcessThatDied:
    async def test_the_sweep_runs_every_reaction_of_a_commit_left_behind(self, rig: Rig) -> None:
        chat_id = await rig.task("Crash course", rig.bob)

        async def died(commit: Commit, task: ReactionTask, overrides: object) -> None:
            """The process is gone right after the append: nothing ran."""

        rig.core.reactions.run_inline = died  # type: ignore[method-assign]
        await rig.core.messages.send(
            rig.alice, rig.workspace_id, chat_id, content="@bob please look"
        )
        [task] = rig.tasks()
        assert await rig.mentions_of_bob() == 0
        del rig.core.reactions.run_inline

        await rig.sweep_after(INLINE_GRACE - timedelta(milliseconds=1))
        assert rig.tasks() == [task]  # the inline run still owns it

        await rig.sweep_after(timedelta(milliseconds=1))
        assert rig.tasks() == []
        page = await rig.core.message_reads.list_top_level(
            rig.alice, rig.workspace_id, chat_id, limit=10, cursor=None
        )
        assert [m.message.content for m in page.items][:1] == ["@bob please look"]
        assert await rig.mentions_of_bob() == 1

    async def test_a_task_whose_commit_never_got_stored_is_dropped(self, rig: Rig) -> None:
        orphan = ReactionTask(
            commit_id="never-appended",
            aggregate_id="nothing",
            remaining=("state",),
            attempts=0,
            due_at=rig.clock.now(),
            created_at=rig.clock.now(),
        )
        await rig.adapters.reaction_work.begin(orphan)

        await rig.sweep_after(timedelta(seconds=1))
        assert len(rig.tasks()) == 1  # maybe its append is still on its way

        await rig.sweep_after(ORPHAN_AFTER)
        assert rig.tasks() == []
