"""Notifications and search driven by the real chat and message use cases, as the HTTP layer
calls them: the dispatcher and the projections see exactly what a user's request produces."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.notifications.service import NotificationView
from flowra_core.domain.chat import ChatChanges, NewChat
from flowra_core.domain.notification import NotificationType
from flowra_core.ports.search import SearchKind
from flowra_core.testing.builder import TestCore

STEP = timedelta(seconds=1)


async def inbox(tc: TestCore, actor: Actor) -> list[NotificationView]:
    return list((await tc.core.notifications.list(actor, limit=100)).items)


def kinds(views: Sequence[NotificationView]) -> list[NotificationType]:
    return [view.type for view in views]


@pytest.fixture
async def task_id(
    tc: TestCore, owner: Actor, admin: Actor, member: Actor, workspace_id: str
) -> str:
    """ "Ship it", created by olivia with adam as a participant; mia is not in it yet."""
    view = await tc.core.chats.create(
        owner,
        workspace_id,
        NewChat(type="task", title="Ship it", participant_ids=[admin.user_id]),
    )
    return view.summary.chat.id


class TestWorkItemFlow:
    async def test_assign_change_status_close_and_reopen(
        self,
        tc: TestCore,
        owner: Actor,
        admin: Actor,
        member: Actor,
        workspace_id: str,
        task_id: str,
    ) -> None:
        chats = tc.core.chats
        await chats.patch(owner, workspace_id, task_id, ChatChanges(assignee_id=member.user_id))
        tc.clock.advance(STEP)
        await chats.patch(admin, workspace_id, task_id, ChatChanges(status="in progress"))
        tc.clock.advance(STEP)
        await chats.close(member, workspace_id, task_id)
        tc.clock.advance(STEP)
        await chats.reopen(owner, workspace_id, task_id)

        bodies = [view.body for view in await inbox(tc, member)]
        assert bodies[:2] == [
            'Olivia changed the status of "Ship it" to In Progress',
            'Adam changed the status of "Ship it" to In Progress',
        ]
        # One command added mia and assigned her: two notifications of the same instant.
        assert sorted(bodies[2:]) == [
            'Olivia added you to "Ship it"',
            'Olivia assigned you to "Ship it"',
        ]
        assert [view.body for view in await inbox(tc, owner)] == [
            'Mia changed the status of "Ship it" to Closed',
            'Adam changed the status of "Ship it" to In Progress',
        ]
        assert kinds(await inbox(tc, admin)) == [NotificationType.CHAT_ADDED]

    async def test_a_member_removed_from_the_workspace_hears_nothing_more(
        self,
        tc: TestCore,
        owner: Actor,
        member: Actor,
        workspace_id: str,
        task_id: str,
    ) -> None:
        await tc.core.chats.patch(
            owner, workspace_id, task_id, ChatChanges(assignee_id=member.user_id)
        )
        await tc.core.workspaces.remove_member(owner, workspace_id, member.user_id)
        await tc.core.chats.patch(owner, workspace_id, task_id, ChatChanges(status="done"))

        stored = await tc.adapters.notifications.get(member.user_id)
        assert stored is not None
        assert [n.type for n in stored.notifications] == ["chat.added", "task.assigned"]
        assert await tc.core.notifications.unread_count(member) == 0


class TestChatFlow:
    async def test_mentions_and_additions_but_not_joins(
        self,
        tc: TestCore,
        owner: Actor,
        admin: Actor,
        member: Actor,
        workspace_id: str,
    ) -> None:
        created = await tc.core.chats.create(owner, workspace_id, NewChat(title="Lobby"))
        chat_id = created.summary.chat.id
        await tc.core.chats.join(member, workspace_id, chat_id)
        await tc.core.chats.add_participant(
            owner, workspace_id, chat_id, user_id=admin.user_id, role=None
        )
        tc.clock.advance(STEP)
        sent = await tc.core.messages.send(
            member, workspace_id, chat_id, content="@adam @olivia welcome!"
        )

        [mention, added] = await inbox(tc, admin)
        assert (mention.type, mention.body) == (
            NotificationType.CHAT_MENTION,
            'Mia mentioned you in "Lobby"',
        )
        assert mention.message_id == sent.message.message.id
        assert added.body == 'Olivia added you to "Lobby"'
        assert kinds(await inbox(tc, owner)) == [NotificationType.CHAT_MENTION]
        assert await inbox(tc, member) == []


class TestSearchFlow:
    async def test_sent_messages_are_found_until_their_chat_is_deleted(
        self,
        tc: TestCore,
        owner: Actor,
        member: Actor,
        workspace_id: str,
        task_id: str,
    ) -> None:
        await tc.core.messages.send(owner, workspace_id, task_id, content="Shipping tonight")

        page = await tc.core.search.search(member, workspace_id, q="ship")
        assert [hit.kind for hit in page.items] == [SearchKind.MESSAGE, SearchKind.TASK]

        await tc.core.chats.delete(owner, workspace_id, task_id)
        assert (await tc.core.search.search(member, workspace_id, q="ship")).items == []
