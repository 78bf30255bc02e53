"""The dispatch consumer: every row of domain.md §5's notification table, end to end.

Chat and message commands run through the core's write path with the domain's decide
functions, so their events are committed, published, and handled by the dispatcher the core
subscribed on the in-process bus, exactly as in production.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.notifications.inbox import inbox_stream_id
from flowra_core.app.notifications.service import NotificationView
from flowra_core.app.write_path import AggregateKind, Routing
from flowra_core.domain import chat as chat_domain
from flowra_core.domain import message as message_domain
from flowra_core.domain.chat import Chat, ChatUserAssigned, NewChat
from flowra_core.domain.events import AggregateType, DomainEvent, EventEnvelope
from flowra_core.domain.message import Message, MessageCreated, MessageType
from flowra_core.domain.notification import NotificationCreated, NotificationType
from flowra_core.testing.builder import TestCore

STEP = timedelta(seconds=1)


class Workbench:
    """Chats and messages of one workspace, driven through the write path."""

    def __init__(self, tc: TestCore, workspace_id: str) -> None:
        self.tc = tc
        self.workspace_id = workspace_id
        self.chats: AggregateKind[Chat] = AggregateKind(
            aggregate_type=AggregateType.CHAT,
            store=tc.adapters.chats,
            evolve=lambda state, event, at, chat_id: chat_domain.evolve(
                state, event, at, chat_id=chat_id
            ),
            routing=lambda chat: Routing(workspace_id=chat.workspace_id, chat_id=chat.id),
        )
        self.messages: AggregateKind[Message] = AggregateKind(
            aggregate_type=AggregateType.MESSAGE,
            store=tc.adapters.messages,
            evolve=lambda state, event, _at, _id: message_domain.evolve(state, event),
            routing=lambda message: Routing(workspace_id=workspace_id, chat_id=message.chat_id),
        )

    @property
    def now(self) -> datetime:
        return self.tc.clock.now()

    async def members(self) -> set[str]:
        workspace = await self.tc.adapters.workspaces.get(self.workspace_id)
        assert workspace is not None
        return {member.user_id for member in workspace.members}

    async def create(self, actor: Actor, draft: NewChat) -> str:
        chat_id = self.tc.core.write.ids.new_id()
        members, now = await self.members(), self.now
        await self.tc.core.write.execute(
            self.chats,
            chat_id,
            lambda _none: chat_domain.create_chat(
                draft,
                workspace_id=self.workspace_id,
                members=members,
                actor_id=actor.user_id,
                now=now,
            ),
            actor_id=actor.user_id,
        )
        self.tc.clock.advance(STEP)
        return chat_id

    async def task(
        self, actor: Actor, *, assignee_id: str | None = None, participants: Sequence[str] = ()
    ) -> str:
        return await self.create(
            actor,
            NewChat(
                type="task",
                title="Fix login",
                assignee_id=assignee_id,
                participant_ids=participants,
            ),
        )

    async def change(
        self, actor: Actor, chat_id: str, command: str, *args: object, **kwargs: object
    ) -> Sequence[EventEnvelope]:
        """Run the chat decide function named `command` as `actor`."""
        decide = getattr(chat_domain, command)
        if command in ("assign", "add_participant"):
            kwargs["members"] = await self.members()
        now = self.now

        def run(chat: Chat | None) -> list[DomainEvent]:
            assert chat is not None
            events: list[DomainEvent] = decide(
                chat, *args, actor_id=actor.user_id, now=now, **kwargs
            )
            return events

        outcome = await self.tc.core.write.execute(self.chats, chat_id, run, actor_id=actor.user_id)
        self.tc.clock.advance(STEP)
        return outcome.events

    async def send(self, actor: Actor, chat_id: str, content: str) -> EventEnvelope:
        workspace = await self.tc.adapters.workspaces.get(self.workspace_id)
        users = self.tc.adapters.users
        assert workspace is not None
        by_name = {}
        for member in workspace.members:
            user = await users.get(member.user_id)
            assert user is not None
            by_name[user.username.lower()] = user.id
        message_id = self.tc.core.write.ids.new_id()
        now = self.now
        outcome = await self.tc.core.write.execute(
            self.messages,
            message_id,
            lambda _none: message_domain.send_user_message(
                message_id,
                chat_id=chat_id,
                author_id=actor.user_id,
                content=content,
                lookup_username=lambda name: by_name.get(name.lower()),
                now=now,
            ),
            actor_id=actor.user_id,
        )
        self.tc.clock.advance(STEP)
        return outcome.events[0]


async def inbox(
    tc: TestCore, actor: Actor, notification_type: NotificationType | None = None
) -> list[NotificationView]:
    """The actor's notifications, newest first; only those of one type when given."""
    page = await tc.core.notifications.list(actor, type=notification_type, limit=100)
    return list(page.items)


@pytest.fixture
def bench(tc: TestCore, workspace_id: str) -> Workbench:
    return Workbench(tc, workspace_id)


class TestAssignment:
    async def test_the_new_assignee_is_told_who_assigned_them_to_what(
        self, tc: TestCore, bench: Workbench, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await bench.task(owner, participants=[member.user_id])
        events = await bench.change(owner, chat_id, "assign", member.user_id)

        [notification, _added] = await inbox(tc, member)
        assert notification.type is NotificationType.TASK_ASSIGNED
        assert notification.title == "Assigned to you"
        assert notification.body == 'Olivia assigned you to "Fix login"'
        assert (notification.workspace_id, notification.chat_id) == (workspace_id, chat_id)
        assert notification.actor_id == owner.user_id
        assert notification.message_id is None
        assert not notification.is_read
        assert notification.created_at == events[-1].occurred_at

    async def test_assigning_yourself_notifies_nobody(
        self, tc: TestCore, bench: Workbench, owner: Actor, admin: Actor
    ) -> None:
        chat_id = await bench.task(admin)
        await bench.change(admin, chat_id, "assign", admin.user_id)

        assert await inbox(tc, admin) == []
        assert await inbox(tc, owner) == []

    async def test_the_notification_is_journaled_and_published_to_the_recipients_inbox(
        self, tc: TestCore, bench: Workbench, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        published: list[EventEnvelope] = []

        async def record(envelope: EventEnvelope) -> None:
            published.append(envelope)

        tc.adapters.bus.subscribe("recorder", record)
        chat_id = await bench.task(owner, participants=[member.user_id])
        published.clear()
        await bench.change(owner, chat_id, "assign", member.user_id)

        [created] = [e for e in published if e.type == "notification.created"]
        assert created.aggregate_type is AggregateType.NOTIFICATION
        assert created.aggregate_id == inbox_stream_id(member.user_id)
        assert isinstance(created.event, NotificationCreated)
        assert created.event.user_id == member.user_id
        assert (created.workspace_id, created.chat_id) == (workspace_id, chat_id)
        assert created in tc.adapters.event_store.all_events()


class TestStatusChange:
    async def test_assignee_and_creator_hear_of_a_new_status(
        self, tc: TestCore, bench: Workbench, owner: Actor, admin: Actor, member: Actor
    ) -> None:
        chat_id = await bench.task(owner, assignee_id=member.user_id)
        await bench.change(admin, chat_id, "change_status", "in progress")

        for recipient in (owner, member):
            notification = (await inbox(tc, recipient))[0]
            assert notification.type is NotificationType.TASK_STATUS_CHANGED
            assert notification.title == "Status changed"
            assert notification.body == 'Adam changed the status of "Fix login" to In Progress'
        assert await inbox(tc, admin) == []

    async def test_closing_and_reopening_are_status_changes(
        self, tc: TestCore, bench: Workbench, owner: Actor, member: Actor
    ) -> None:
        chat_id = await bench.task(owner, assignee_id=member.user_id)
        await bench.change(owner, chat_id, "close")
        await bench.change(owner, chat_id, "reopen")

        bodies = [n.body for n in await inbox(tc, member) if n.type == "task.status_changed"]
        assert bodies == [
            'Olivia changed the status of "Fix login" to To Do',
            'Olivia changed the status of "Fix login" to Closed',
        ]

    async def test_the_acting_creator_is_not_told_and_one_person_hears_once(
        self, tc: TestCore, bench: Workbench, owner: Actor, member: Actor
    ) -> None:
        chat_id = await bench.task(member, assignee_id=member.user_id)
        await bench.change(owner, chat_id, "add_participant", owner.user_id)
        await bench.change(owner, chat_id, "change_status", "done")
        await bench.change(member, chat_id, "change_status", "to do")

        statuses = [n for n in await inbox(tc, member) if n.type == "task.status_changed"]
        assert [n.body for n in statuses] == ['Olivia changed the status of "Fix login" to Done']
        assert await inbox(tc, owner) == []


class TestMention:
    async def test_a_mentioned_reader_is_told_with_the_message(
        self, tc: TestCore, bench: Workbench, owner: Actor, member: Actor
    ) -> None:
        chat_id = await bench.create(owner, NewChat(title="Launch"))
        sent = await bench.send(owner, chat_id, "@mia can you check the numbers?")

        [notification] = await inbox(tc, member)
        assert notification.type is NotificationType.CHAT_MENTION
        assert notification.title == "You were mentioned"
        assert notification.body == 'Olivia mentioned you in "Launch"'
        assert isinstance(sent.event, MessageCreated)
        assert notification.message_id == sent.event.message_id

    async def test_an_untitled_discussion_is_named_untitled_chat(
        self, tc: TestCore, bench: Workbench, owner: Actor, member: Actor
    ) -> None:
        chat_id = await bench.create(owner, NewChat())
        await bench.send(owner, chat_id, "hi @Mia")

        [notification] = await inbox(tc, member)
        assert notification.body == 'Olivia mentioned you in "untitled chat"'

    async def test_mentioning_yourself_or_someone_who_cannot_read_the_chat_notifies_nobody(
        self, tc: TestCore, bench: Workbench, owner: Actor, member: Actor
    ) -> None:
        chat_id = await bench.create(owner, NewChat(title="Secret", is_public=False))
        await bench.send(owner, chat_id, "@olivia note to self, @mia must not see this")

        assert await inbox(tc, owner) == []
        assert await inbox(tc, member) == []

    async def test_bot_messages_and_edits_never_notify(
        self, tc: TestCore, bench: Workbench, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await bench.create(owner, NewChat(title="Launch"))
        bot_message = MessageCreated(
            message_id="bot-1",
            chat_id=chat_id,
            author_id=owner.user_id,
            message_type=MessageType.BOT,
            content="@mia status changed",
            mentions=(member.user_id,),
            created_at=bench.now,
        )
        await tc.core.dispatcher.handle(
            EventEnvelope(
                event_id="event-bot-1",
                aggregate_type=AggregateType.MESSAGE,
                aggregate_id="bot-1",
                version=1,
                workspace_id=workspace_id,
                chat_id=chat_id,
                actor_id=owner.user_id,
                occurred_at=bench.now,
                event=bot_message,
            )
        )
        sent = await bench.send(owner, chat_id, "hello")
        assert isinstance(sent.event, MessageCreated)
        message_id = sent.event.message_id
        members = {"mia": member.user_id}
        now = bench.now

        def edit(message: Message | None) -> list[DomainEvent]:
            assert message is not None
            return message_domain.edit_message(
                message, "hello @mia", edited_by=owner.user_id, lookup_username=members.get, now=now
            )

        outcome = await tc.core.write.execute(
            bench.messages, message_id, edit, actor_id=owner.user_id
        )

        assert [e.type for e in outcome.events] == ["message.edited"]

        assert await inbox(tc, member) == []


class TestAddedToChat:
    async def test_someone_added_by_another_is_told(
        self, tc: TestCore, bench: Workbench, owner: Actor, admin: Actor
    ) -> None:
        chat_id = await bench.create(owner, NewChat(title="Launch"))
        await bench.change(owner, chat_id, "add_participant", admin.user_id)

        [notification] = await inbox(tc, admin)
        assert notification.type is NotificationType.CHAT_ADDED
        assert notification.title == "Added to a chat"
        assert notification.body == 'Olivia added you to "Launch"'

    async def test_the_extra_participants_of_a_new_chat_are_told(
        self, tc: TestCore, bench: Workbench, owner: Actor, admin: Actor, member: Actor
    ) -> None:
        await bench.create(
            owner, NewChat(title="Launch", participant_ids=(admin.user_id, member.user_id))
        )

        for recipient in (admin, member):
            assert [n.type for n in await inbox(tc, recipient)] == ["chat.added"]
        assert await inbox(tc, owner) == []

    async def test_joining_a_chat_yourself_notifies_nobody(
        self, tc: TestCore, bench: Workbench, owner: Actor, member: Actor
    ) -> None:
        chat_id = await bench.create(owner, NewChat(title="Launch"))
        await bench.change(member, chat_id, "join")

        assert await inbox(tc, member) == []
        assert await inbox(tc, owner) == []


class TestRedelivery:
    async def test_handling_an_event_again_creates_nothing_new(
        self, tc: TestCore, bench: Workbench, owner: Actor, member: Actor
    ) -> None:
        chat_id = await bench.task(owner)
        added, assigned = await bench.change(owner, chat_id, "assign", member.user_id)
        journal_size = len(tc.adapters.event_store.all_events())

        for envelope in (added, assigned, assigned):
            await tc.core.dispatcher.handle(envelope)

        assert sorted(n.type for n in await inbox(tc, member)) == ["chat.added", "task.assigned"]
        assert len(tc.adapters.event_store.all_events()) == journal_size

    async def test_a_deleted_notification_does_not_come_back(
        self, tc: TestCore, bench: Workbench, owner: Actor, member: Actor
    ) -> None:
        chat_id = await bench.task(owner, participants=[member.user_id])
        [assigned] = await bench.change(owner, chat_id, "assign", member.user_id)
        [notification] = await inbox(tc, member, NotificationType.TASK_ASSIGNED)
        await tc.core.notifications.delete(member, notification.id)

        await tc.core.dispatcher.handle(assigned)

        assert await inbox(tc, member, NotificationType.TASK_ASSIGNED) == []


class TestRecipients:
    async def test_a_former_workspace_member_gets_nothing(
        self, tc: TestCore, bench: Workbench, owner: Actor, admin: Actor, member: Actor
    ) -> None:
        chat_id = await bench.task(admin, assignee_id=member.user_id)
        await tc.core.workspaces.leave(member, bench.workspace_id)
        await bench.change(owner, chat_id, "change_status", "done")

        assert [n.type for n in await inbox(tc, admin)] == ["task.status_changed"]
        stored = await tc.adapters.notifications.get(member.user_id)
        assert stored is not None
        assert [n.type for n in stored.notifications] == ["chat.added"]

    async def test_events_of_a_chat_deleted_since_notify_nobody(
        self, tc: TestCore, bench: Workbench, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await bench.task(owner)
        await bench.change(owner, chat_id, "delete")

        await tc.core.dispatcher.handle(
            EventEnvelope(
                event_id="late-assignment",
                aggregate_type=AggregateType.CHAT,
                aggregate_id=chat_id,
                version=2,
                workspace_id=workspace_id,
                chat_id=chat_id,
                actor_id=owner.user_id,
                occurred_at=bench.now,
                event=ChatUserAssigned(assignee_id=member.user_id, assigned_by=owner.user_id),
            )
        )

        assert await inbox(tc, member) == []
