"""Reactions on MongoDB (design §2.6): a write that fails after the commit never fails the
command; its reaction waits in `reaction_work` and the sweep finishes it. On FerretDB, with the
real adapters: a chat state save, the member-departure cascade and a change summary."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from flowra_adapters.mongo.chats import MongoChatStore
from flowra_adapters.mongo.client import create_mongo_client
from flowra_adapters.mongo.core_ports import mongo_core_ports
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.messages import MongoSummaryDraftStore
from flowra_adapters.mongo.migrations import Migrator
from flowra_adapters.mongo.reaction_work import MongoReactionWork
from flowra_adapters.system import SystemClock
from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.app.delivery.reactions import backoff
from flowra_core.domain.chat import Chat, ChatChanges, NewChat
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.domain.user import UserSource
from flowra_core.memory.event_bus import InMemoryEventBus
from flowra_core.memory.files import InMemoryBlobStorage
from flowra_core.memory.presence import InMemoryPresence
from flowra_core.ports.identity import IdentityClaims
from flowra_core.ports.messages import SummaryDraft
from flowra_core.testing.clock import FixedClock, SeededIds, SeededTokens

pytestmark = pytest.mark.integration


class FlakyChats(MongoChatStore):
    """The MongoDB chat store; the next save, or the next look-up of a member's chats, fails
    like a timeout while its flag is set."""

    fail_save = False
    fail_lookup = False

    async def save(self, state: Chat) -> None:
        if self.fail_save:
            self.fail_save = False
            raise ServiceUnavailable("mongodb", "timeout")
        await super().save(state)

    async def ids_with_participant(self, workspace_id: str, user_id: str) -> Sequence[str]:
        if self.fail_lookup:
            self.fail_lookup = False
            raise ServiceUnavailable("mongodb", "timeout")
        return await super().ids_with_participant(workspace_id, user_id)


class FlakyDrafts(MongoSummaryDraftStore):
    fail_next = False

    async def save(self, draft: SummaryDraft) -> None:
        if self.fail_next:
            self.fail_next = False
            raise ServiceUnavailable("mongodb", "timeout")
        await super().save(draft)


@dataclass
class Team:
    core: FlowraCore
    database: MongoDatabase
    clock: FixedClock
    chats: FlakyChats
    drafts: FlakyDrafts
    alice: Actor
    bob: Actor
    workspace_id: str

    async def task(self, title: str) -> str:
        draft = NewChat(type="task", title=title, participant_ids=[self.bob.user_id])
        return (await self.core.chats.create(self.alice, self.workspace_id, draft)).chat.id

    async def owed(self) -> list[list[str]]:
        """What the commits still owe, as stored (finished tasks deleted first)."""
        work = self.core.ports.reaction_work
        assert isinstance(work, MongoReactionWork)
        await work.flush()
        tasks = await self.database.collection("reaction_work").find({}).to_list()
        return [task["remaining"] for task in tasks]

    async def sweep_after_back_off(self) -> None:
        self.clock.advance(backoff(1))
        await self.core.reactions.sweep(limit=100)

    async def chat_document(self, chat_id: str) -> dict[str, object]:
        found = await self.database.collection("chats").find_one({"_id": chat_id})
        assert found is not None
        return found


@pytest.fixture
async def team(mongodb_uri: str) -> AsyncIterator[Team]:
    client = create_mongo_client(mongodb_uri, timeout=5.0, max_pool_size=4)
    database = MongoDatabase(client, f"flowra_reactions_{uuid.uuid4().hex[:12]}")
    try:
        await Migrator(database, owner="tests", clock=SystemClock()).up()
        clock = FixedClock(datetime.now(UTC))
        ports = mongo_core_ports(
            database,
            clock=clock,
            ids=SeededIds(5),
            tokens=SeededTokens(5),
            bus=InMemoryEventBus(),
            presence=InMemoryPresence(),
            blobs=InMemoryBlobStorage(),
        )
        chats, drafts = FlakyChats(database), FlakyDrafts(database)
        core = FlowraCore(replace(ports, chats=chats, summary_drafts=drafts))
        actors = []
        for name in ("alice", "bob"):
            claims = IdentityClaims(f"local:{name}", name, None, None, False, UserSource.DEV)
            actors.append(Actor((await core.users.provision(claims)).id))
        alice, bob = actors
        workspace = await core.workspaces.create(alice, name="Team", description=None)
        await core.workspaces.add_member(
            alice, workspace.workspace.id, user_id=bob.user_id, username=None, role=None
        )
        yield Team(core, database, clock, chats, drafts, alice, bob, workspace.workspace.id)
    finally:
        await client.drop_database(database.name)
        await client.close()


async def test_a_failed_state_save_is_rebuilt_from_the_journal(team: Team) -> None:
    chat_id = await team.task("Ship it")
    team.chats.fail_save = True

    patched = await team.core.chats.patch(
        team.alice, team.workspace_id, chat_id, ChatChanges(title="Launch")
    )

    assert patched.chat.title == "Launch"
    assert (await team.chat_document(chat_id))["title"] == "Ship it"
    # What follows the state save reads it, so it all waits for the sweep.
    assert await team.owed() == [["state", "projection.search", "live", "chat.change_summary"]]

    await team.sweep_after_back_off()

    document = await team.chat_document(chat_id)
    assert document["title"] == "Launch"
    assert document["version"] == len(await team.core.ports.event_store.read_stream(chat_id))
    assert await team.owed() == []
    hits = await team.core.search.search(team.alice, team.workspace_id, q="launch")
    assert [hit.chat_title for hit in hits.items] == ["Launch"]


async def test_a_departed_member_leaves_every_chat_though_the_cascade_failed(team: Team) -> None:
    chats = [await team.task(f"Task {n}") for n in range(2)]
    team.chats.fail_lookup = True

    await team.core.workspaces.remove_member(team.alice, team.workspace_id, team.bob.user_id)

    assert await team.owed() == [["workspace.member_departure"]]
    await team.sweep_after_back_off()
    for chat_id in chats:
        document = await team.chat_document(chat_id)
        assert team.bob.user_id not in document["participant_ids"]  # type: ignore[operator]
    assert await team.owed() == []


async def test_a_change_summary_that_failed_is_posted_once(team: Team) -> None:
    chat_id = await team.task("Fix login")
    team.drafts.fail_next = True

    await team.core.chats.patch(
        team.alice, team.workspace_id, chat_id, ChatChanges(priority="High")
    )

    assert await team.owed() == [["chat.change_summary"]]
    await team.sweep_after_back_off()
    page = await team.core.message_reads.list_top_level(
        team.alice, team.workspace_id, chat_id, limit=50, cursor=None
    )
    summaries = [m.message.content for m in page.items if m.message.type == "system"]
    assert summaries == ["alice set priority to High"]
    assert await team.owed() == []
