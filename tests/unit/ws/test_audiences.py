"""Who receives which domain event (websocket.md §4), judged at send time, each event once."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.users.service import user_kind
from flowra_core.domain.chat.patch import ChatChanges
from flowra_core.domain.user.commands import deactivate_user
from flowra_core.domain.user.events import DeactivationReason
from flowra_entrypoints.ws.testing import MemorySocket
from flowra_entrypoints.ws.testing_kit import GatewayKit


@dataclass
class Team:
    """Acme: olivia owns it, adam is an admin, mia a member; oscar is outside."""

    olivia: Actor
    adam: Actor
    mia: Actor
    oscar: Actor
    workspace_id: str


@pytest.fixture
async def team(env: GatewayKit) -> Team:
    olivia, adam = await env.tc.user("olivia"), await env.tc.user("adam")
    mia, oscar = await env.tc.user("mia"), await env.tc.user("oscar")
    workspace_id = await env.workspace(olivia, mia)
    await env.tc.core.workspaces.add_member(
        olivia, workspace_id, user_id=adam.user_id, username=None, role="admin"
    )
    return Team(olivia, adam, mia, oscar, workspace_id)


async def subscribed(env: GatewayKit, actor: Actor, chat_id: str) -> MemorySocket:
    socket = await env.connect(actor)
    socket.send_json({"type": "subscribe", "chat_id": chat_id, "id": "sub"})
    await socket.frame("ack", ref="sub")
    return socket


class TestMessageEvents:
    async def test_reach_the_chats_subscribers_only(self, env: GatewayKit, team: Team) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id, team.mia)
        subscriber = await subscribed(env, team.mia, chat_id)
        member = await env.connect(team.olivia)  # a participant, but not subscribed
        message_id = await env.post(team.olivia, team.workspace_id, chat_id, "Liftoff at 9")
        frame = await subscriber.frame("message.created")
        assert set(frame) == {
            "type",
            "event_id",
            "workspace_id",
            "chat_id",
            "actor_id",
            "occurred_at",
            "data",
        }
        assert frame["workspace_id"] == team.workspace_id
        assert frame["chat_id"] == chat_id
        assert frame["actor_id"] == team.olivia.user_id
        assert frame["occurred_at"] == "2026-01-28T10:30:00.000Z"
        assert frame["data"]["message_id"] == message_id
        assert frame["data"]["content"] == "Liftoff at 9"
        assert frame["data"]["type"] == "user"
        await env.settle(member)
        assert member.of_type("message.created") == []

    async def test_a_redelivered_event_is_sent_once(self, env: GatewayKit, team: Team) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id)
        subscriber = await subscribed(env, team.mia, chat_id)
        await env.post(team.olivia, team.workspace_id, chat_id, "Once")
        created = [e for e in env.tc.adapters.event_store.all_events() if e.chat_id == chat_id]
        await env.tc.adapters.bus.publish(created[-1:])  # at-least-once delivery repeats it
        await env.settle(subscriber)
        assert len(subscriber.of_type("message.created")) == 1


class TestChatEvents:
    async def task(self, env: GatewayKit, team: Team, *, is_public: bool) -> str:
        return await env.chat(
            team.olivia, team.workspace_id, team.adam, is_public=is_public, chat_type="task"
        )

    async def test_reach_every_reader_of_a_public_chat(self, env: GatewayKit, team: Team) -> None:
        chat_id = await self.task(env, team, is_public=True)
        subscriber = await subscribed(env, team.adam, chat_id)
        reader = await env.connect(team.mia)  # a member, not a participant, not subscribed
        outsider = await env.connect(team.oscar)
        changes = ChatChanges(status="In Progress")
        await env.tc.core.chats.patch(team.olivia, team.workspace_id, chat_id, changes)
        for socket in (subscriber, reader):
            frame = await socket.frame("chat.status_changed")
            assert frame["data"] == {
                "old_status": "To Do",
                "new_status": "In Progress",
                "changed_by": team.olivia.user_id,
            }
        await env.settle(subscriber, outsider)
        assert len(subscriber.of_type("chat.status_changed")) == 1  # room and reader: once
        assert outsider.of_type("chat.status_changed") == []

    async def test_of_a_private_chat_reach_its_participants_only(
        self, env: GatewayKit, team: Team
    ) -> None:
        chat_id = await self.task(env, team, is_public=False)
        participant = await env.connect(team.adam)
        member = await env.connect(team.mia)
        changes = ChatChanges(status="In Progress")
        await env.tc.core.chats.patch(team.olivia, team.workspace_id, chat_id, changes)
        await participant.frame("chat.status_changed")
        await env.settle(member)
        assert member.of_type("chat.status_changed") == []

    async def test_an_added_participant_hears_of_it(self, env: GatewayKit, team: Team) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id, is_public=False)
        mia = await env.connect(team.mia)
        await env.tc.core.chats.add_participant(
            team.olivia, team.workspace_id, chat_id, user_id=team.mia.user_id, role=None
        )
        added = await mia.frame("chat.participant_added")
        assert added["data"]["user_id"] == team.mia.user_id
        notification = await mia.frame("notification.created")
        assert notification["data"]["user_id"] == team.mia.user_id

    async def test_removal_from_a_private_chat_ends_the_subscription(
        self, env: GatewayKit, team: Team
    ) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id, team.mia, is_public=False)
        mia = await subscribed(env, team.mia, chat_id)
        await env.tc.core.chats.remove_participant(
            team.olivia, team.workspace_id, chat_id, team.mia.user_id
        )
        unsubscribed = await mia.frame("unsubscribed")
        assert unsubscribed == {
            "type": "unsubscribed",
            "chat_id": chat_id,
            "reason": "access_revoked",
        }
        assert mia.types()[-2:] == ["chat.participant_removed", "unsubscribed"]
        await env.post(team.olivia, team.workspace_id, chat_id, "Secret")
        await env.settle(mia)
        assert mia.of_type("message.created") == []

    async def test_deletion_reaches_readers_then_ends_subscriptions(
        self, env: GatewayKit, team: Team
    ) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id)
        mia = await subscribed(env, team.mia, chat_id)
        adam = await env.connect(team.adam)
        await env.tc.core.chats.delete(team.olivia, team.workspace_id, chat_id)
        await mia.frame("unsubscribed", reason="chat_deleted")
        assert mia.types()[-2:] == ["chat.deleted", "unsubscribed"]
        await adam.frame("chat.deleted")
        await env.settle(adam)
        assert adam.of_type("unsubscribed") == []


class TestWorkspaceEvents:
    async def test_member_events_reach_the_members(self, env: GatewayKit, team: Team) -> None:
        mia, oscar = await env.connect(team.mia), await env.connect(team.oscar)
        await env.tc.core.workspaces.add_member(
            team.olivia, team.workspace_id, user_id=team.oscar.user_id, username=None, role=None
        )
        for socket in (mia, oscar):
            frame = await socket.frame("member.added")
            assert frame["data"]["user_id"] == team.oscar.user_id

    async def test_a_removed_member_hears_of_it_and_loses_subscriptions(
        self, env: GatewayKit, team: Team
    ) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id)
        mia = await subscribed(env, team.mia, chat_id)
        await env.tc.core.workspaces.remove_member(team.olivia, team.workspace_id, team.mia.user_id)
        await mia.frame("member.removed")
        await mia.frame("unsubscribed", chat_id=chat_id, reason="access_revoked")
        await env.post(team.olivia, team.workspace_id, chat_id, "Gone?")
        await env.settle(mia)
        assert mia.of_type("message.created") == []

    async def test_deleting_the_workspace_ends_its_subscriptions(
        self, env: GatewayKit, team: Team
    ) -> None:
        chat_id = await env.chat(team.olivia, team.workspace_id)
        mia = await subscribed(env, team.mia, chat_id)
        await env.tc.core.workspaces.delete(team.olivia, team.workspace_id)
        await mia.frame("workspace.deleted")
        await mia.frame("unsubscribed", chat_id=chat_id, reason="access_revoked")

    async def test_invite_events_reach_owner_and_admins(self, env: GatewayKit, team: Team) -> None:
        olivia, adam, mia = [await env.connect(a) for a in (team.olivia, team.adam, team.mia)]
        await env.tc.core.workspaces.create_invite(
            team.olivia, team.workspace_id, role=None, expires_at=None, max_uses=None
        )
        for socket in (olivia, adam):
            frame = await socket.frame("invite.created")
            assert "token_hash" not in frame["data"]
        await env.settle(mia)
        assert mia.of_type("invite.created") == []


class TestUserEvents:
    async def test_reach_that_users_connections(self, env: GatewayKit, team: Team) -> None:
        mine, theirs = await env.connect(team.mia), await env.connect(team.olivia)
        await env.tc.core.users.update_display_name(team.mia, "Mia M.")
        assert (await mine.frame("user.updated"))["data"]["user_id"] == team.mia.user_id
        await env.settle(theirs)
        assert theirs.of_type("user.updated") == []

    async def test_deactivation_closes_with_4403(self, env: GatewayKit, team: Team) -> None:
        first, second = await env.connect(team.mia), await env.connect(team.mia)
        await env.tc.core.write.execute(
            user_kind(env.tc.adapters.users),
            team.mia.user_id,
            lambda user: (
                deactivate_user(user, reason=DeactivationReason.IDP_DELETED)
                if user is not None
                else []
            ),
            actor_id=None,
        )
        for socket in (first, second):
            await socket.closed()
            assert socket.close_code == 4403
            assert socket.types()[-1] == "user.deactivated"
