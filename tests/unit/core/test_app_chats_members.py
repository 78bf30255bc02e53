"""Chat participants (http-api.md `C/join`, `C/leave`, `C/participants`, `C/presence`) and the
cascade when someone leaves the workspace (domain.md §2)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.domain.chat import ChatChanges, NewChat, ParticipantRole
from flowra_core.domain.errors import ErrorCode, FlowraError, ValidationFailed
from flowra_core.domain.message import MessageType
from flowra_core.testing.builder import TestCore

STEP = timedelta(seconds=1)


async def code_of(call: Awaitable[object]) -> ErrorCode | None:
    try:
        await call
    except FlowraError as error:
        return error.code
    return None


async def summaries(tc: TestCore, chat_id: str) -> list[str]:
    messages = await tc.adapters.messages.top_level(chat_id, before=None, limit=100)
    return [m.content for m in reversed(messages) if m.type is MessageType.SYSTEM]


async def participant_names(core: FlowraCore, actor: Actor, ws: str, chat_id: str) -> list[str]:
    page = await core.chat_reads.participants(actor, ws, chat_id, limit=None, cursor=None)
    return [view.user.username for view in page.items]


@pytest.fixture
async def bob(tc: TestCore, owner: Actor, workspace_id: str) -> Actor:
    bob = await tc.user("bob")
    await tc.core.workspaces.add_member(
        owner, workspace_id, user_id=bob.user_id, username=None, role=None
    )
    return bob


@pytest.fixture
async def lobby_id(core: FlowraCore, member: Actor, workspace_id: str) -> str:
    """Mia's public discussion; Mia is its admin."""
    return (await core.chats.create(member, workspace_id, NewChat(title="Lobby"))).chat.id


class TestJoin:
    async def test_members_join_public_chats_once(
        self, core: FlowraCore, tc: TestCore, bob: Actor, workspace_id: str, lobby_id: str
    ) -> None:
        first = await core.chats.join(bob, workspace_id, lobby_id)
        again = await core.chats.join(bob, workspace_id, lobby_id)
        assert first.summary.my_role is ParticipantRole.MEMBER
        assert again.chat.version == first.chat.version
        assert await summaries(tc, lobby_id) == ["Bob joined the chat"]

    async def test_private_chats_and_non_members(
        self, core: FlowraCore, member: Actor, bob: Actor, sysadmin: Actor, workspace_id: str
    ) -> None:
        draft = NewChat(title="Secret", is_public=False)
        secret = (await core.chats.create(member, workspace_id, draft)).chat.id
        assert await code_of(core.chats.join(bob, workspace_id, secret)) is (
            ErrorCode.CHAT_NOT_FOUND
        )
        assert await code_of(core.chats.join(sysadmin, workspace_id, secret)) is (
            ErrorCode.CHAT_NOT_FOUND
        )
        public = (await core.chats.create(member, workspace_id, NewChat(title="Open"))).chat.id
        assert await code_of(core.chats.join(sysadmin, workspace_id, public)) is (
            ErrorCode.FORBIDDEN
        )


class TestLeave:
    async def test_a_participant_leaves_but_the_last_admin_stays(
        self,
        core: FlowraCore,
        tc: TestCore,
        member: Actor,
        bob: Actor,
        workspace_id: str,
        lobby_id: str,
    ) -> None:
        await core.chats.join(bob, workspace_id, lobby_id)
        tc.clock.advance(STEP * 3)
        await core.chats.leave(bob, workspace_id, lobby_id)
        assert await participant_names(core, member, workspace_id, lobby_id) == ["mia"]
        assert await code_of(core.chats.leave(member, workspace_id, lobby_id)) is (
            ErrorCode.LAST_CHAT_ADMIN
        )
        assert await code_of(core.chats.leave(bob, workspace_id, lobby_id)) is (
            ErrorCode.NOT_PARTICIPANT
        )
        assert await summaries(tc, lobby_id) == ["Bob joined the chat", "Bob left the chat"]


class TestParticipants:
    async def test_listed_by_joining_time_in_pages(
        self,
        core: FlowraCore,
        tc: TestCore,
        member: Actor,
        owner: Actor,
        admin: Actor,
        bob: Actor,
        workspace_id: str,
        lobby_id: str,
    ) -> None:
        for actor in (bob, owner, admin):
            tc.clock.advance(STEP)
            await core.chats.join(actor, workspace_id, lobby_id)
        first = await core.chat_reads.participants(
            member, workspace_id, lobby_id, limit=2, cursor=None
        )
        assert [v.user.username for v in first.items] == ["mia", "bob"]
        assert first.next_cursor is not None
        rest = await core.chat_reads.participants(
            member, workspace_id, lobby_id, limit=2, cursor=first.next_cursor
        )
        assert [v.user.username for v in rest.items] == ["olivia", "adam"]
        assert rest.next_cursor is None
        with pytest.raises(ValidationFailed):
            await core.chat_reads.presence(
                member, workspace_id, lobby_id, limit=2, cursor=first.next_cursor
            )

    async def test_a_private_chats_participants_are_hidden(
        self, core: FlowraCore, member: Actor, bob: Actor, workspace_id: str
    ) -> None:
        draft = NewChat(title="Secret", is_public=False)
        secret = (await core.chats.create(member, workspace_id, draft)).chat.id
        assert await code_of(
            core.chat_reads.participants(bob, workspace_id, secret, limit=None, cursor=None)
        ) is (ErrorCode.CHAT_NOT_FOUND)


class TestAddParticipant:
    async def test_a_manager_adds_workspace_members(
        self,
        core: FlowraCore,
        tc: TestCore,
        member: Actor,
        admin: Actor,
        bob: Actor,
        outsider: Actor,
        workspace_id: str,
        lobby_id: str,
    ) -> None:
        added = await core.chats.add_participant(
            member, workspace_id, lobby_id, user_id=bob.user_id, role="ADMIN"
        )
        assert (added.user.username, added.participant.role) == ("bob", ParticipantRole.ADMIN)
        assert await code_of(
            core.chats.add_participant(
                admin, workspace_id, lobby_id, user_id=bob.user_id, role=None
            )
        ) is (ErrorCode.ALREADY_PARTICIPANT)
        with pytest.raises(ValidationFailed) as refused:
            await core.chats.add_participant(
                member, workspace_id, lobby_id, user_id=outsider.user_id, role=None
            )
        assert [e.field for e in refused.value.errors] == ["user_id"]
        assert await summaries(tc, lobby_id) == ["Mia added Bob"]

    async def test_a_plain_participant_may_not(
        self, core: FlowraCore, bob: Actor, owner: Actor, workspace_id: str, lobby_id: str
    ) -> None:
        await core.chats.join(bob, workspace_id, lobby_id)
        assert await code_of(
            core.chats.add_participant(
                bob, workspace_id, lobby_id, user_id=owner.user_id, role=None
            )
        ) is (ErrorCode.FORBIDDEN)


class TestRemoveParticipant:
    async def test_a_manager_removes_others_and_anyone_removes_themselves(
        self,
        core: FlowraCore,
        tc: TestCore,
        member: Actor,
        owner: Actor,
        bob: Actor,
        workspace_id: str,
        lobby_id: str,
    ) -> None:
        await core.chats.join(bob, workspace_id, lobby_id)
        await core.chats.join(owner, workspace_id, lobby_id)
        tc.clock.advance(STEP * 3)
        assert await code_of(
            core.chats.remove_participant(bob, workspace_id, lobby_id, owner.user_id)
        ) is (ErrorCode.FORBIDDEN)
        await core.chats.remove_participant(owner, workspace_id, lobby_id, bob.user_id)
        tc.clock.advance(STEP * 3)
        await core.chats.remove_participant(owner, workspace_id, lobby_id, owner.user_id)
        assert await participant_names(core, member, workspace_id, lobby_id) == ["mia"]
        assert (await summaries(tc, lobby_id))[-2:] == [
            "Olivia removed Bob",
            "Olivia left the chat",
        ]

    async def test_refusals(
        self, core: FlowraCore, member: Actor, bob: Actor, workspace_id: str, lobby_id: str
    ) -> None:
        remove = core.chats.remove_participant
        assert await code_of(remove(member, workspace_id, lobby_id, bob.user_id)) is (
            ErrorCode.PARTICIPANT_NOT_FOUND
        )
        assert await code_of(remove(member, workspace_id, lobby_id, member.user_id)) is (
            ErrorCode.LAST_CHAT_ADMIN
        )
        assert await code_of(remove(bob, workspace_id, lobby_id, bob.user_id)) is (
            ErrorCode.NOT_PARTICIPANT
        )


class TestPresence:
    async def test_each_participant_is_online_or_last_seen(
        self,
        core: FlowraCore,
        tc: TestCore,
        member: Actor,
        bob: Actor,
        workspace_id: str,
        lobby_id: str,
    ) -> None:
        tc.clock.advance(STEP)
        await core.chats.join(bob, workspace_id, lobby_id)
        presence = tc.adapters.presence
        presence.connected(member.user_id)
        presence.connected(bob.user_id)
        gone = datetime(2026, 2, 1, 12, tzinfo=UTC)
        presence.disconnected(bob.user_id, gone)

        page = await core.chat_reads.presence(
            member, workspace_id, lobby_id, limit=None, cursor=None
        )
        assert [(p.user_id, p.is_online, p.last_seen_at) for p in page.items] == [
            (member.user_id, True, None),
            (bob.user_id, False, gone),
        ]


class TestWorkspaceDeparture:
    async def test_leaving_the_workspace_removes_from_every_chat_even_the_last_admin(
        self,
        core: FlowraCore,
        tc: TestCore,
        member: Actor,
        owner: Actor,
        workspace_id: str,
        lobby_id: str,
    ) -> None:
        draft = NewChat(type="task", title="Ship", assignee_id=member.user_id)
        task_id = (await core.chats.create(owner, workspace_id, draft)).chat.id
        deleted = (await core.chats.create(member, workspace_id, NewChat(title="Old"))).chat.id
        await core.chats.delete(member, workspace_id, deleted)

        await core.workspaces.leave(member, workspace_id)

        lobby = await core.chat_reads.get(owner, workspace_id, lobby_id)
        assert lobby.participants == ()
        task = await core.chat_reads.get(owner, workspace_id, task_id)
        assert [p.user.username for p in task.participants] == ["olivia"]
        assert task.chat.assignee_id == member.user_id  # assignments stay
        removals = [
            e for e in tc.adapters.event_store.all_events() if e.type == "chat.participant_removed"
        ]
        assert sorted(e.aggregate_id for e in removals) == sorted([lobby_id, task_id])
        assert await summaries(tc, lobby_id) == []
        # A workspace admin still manages the chat its last admin left.
        renamed = await core.chats.patch(owner, workspace_id, lobby_id, ChatChanges(title="Hall"))
        assert renamed.chat.title == "Hall"
