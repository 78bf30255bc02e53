"""The inbox API (http-api.md "Notifications"): list, unread count, read, read-all, delete.

Notifications arrive as the dispatcher delivers them (`NotificationService.deliver`); the
recipient here is mia, a member of Acme and of a second workspace, Globex.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.notifications.inbox import NotificationProjector, inbox_stream_id
from flowra_core.app.notifications.service import NotificationView
from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.events import AggregateType
from flowra_core.domain.notification import NotificationDraft, NotificationType
from flowra_core.memory.notifications import InMemoryNotificationStore
from flowra_core.ports.event_store import Commit
from flowra_core.testing.builder import TestCore

STEP = timedelta(seconds=1)


class Deliveries:
    """Delivers notifications to one recipient, one second apart."""

    def __init__(self, tc: TestCore, recipient: Actor, actor: Actor) -> None:
        self.tc = tc
        self.recipient = recipient
        self.actor = actor
        self.count = 0

    async def deliver(
        self,
        workspace_id: str,
        notification_type: NotificationType = NotificationType.CHAT_MENTION,
        *,
        recipient: Actor | None = None,
    ) -> NotificationView:
        self.count += 1
        who = recipient or self.recipient
        draft = NotificationDraft(
            user_id=who.user_id,
            type=notification_type,
            title=f"Notification {self.count}",
            body=f"Body {self.count}",
            workspace_id=workspace_id,
            chat_id=f"chat-{self.count}",
            message_id=None,
            actor_id=self.actor.user_id,
            source_event_id=f"event-{self.count}",
        )
        assert await self.tc.core.notifications.deliver(draft)
        self.tc.clock.advance(STEP)
        return (await self.tc.core.notifications.list(who, limit=1)).items[0]


@pytest.fixture
async def globex(tc: TestCore, owner: Actor, member: Actor, workspace_id: str) -> str:
    view = await tc.core.workspaces.create(owner, name="Globex", description=None)
    await tc.core.workspaces.add_member(
        owner, view.workspace.id, user_id=member.user_id, username=None, role=None
    )
    return view.workspace.id


@pytest.fixture
def mia_inbox(tc: TestCore, member: Actor, owner: Actor) -> Deliveries:
    return Deliveries(tc, member, owner)


def titles(views: Sequence[NotificationView]) -> list[str]:
    return [view.title for view in views]


class TestDeliver:
    async def test_a_delivered_notification_is_listed_with_every_field(
        self, tc: TestCore, mia_inbox: Deliveries, member: Actor, owner: Actor, workspace_id: str
    ) -> None:
        delivered_at = tc.clock.now()
        view = await mia_inbox.deliver(workspace_id, NotificationType.TASK_ASSIGNED)

        assert view.type is NotificationType.TASK_ASSIGNED
        assert (view.title, view.body) == ("Notification 1", "Body 1")
        assert (view.workspace_id, view.chat_id, view.message_id) == (
            workspace_id,
            "chat-1",
            None,
        )
        assert view.actor_id == owner.user_id
        assert (view.is_read, view.read_at) == (False, None)
        assert view.created_at == delivered_at

    async def test_the_same_source_event_is_delivered_once(
        self, tc: TestCore, member: Actor, owner: Actor, workspace_id: str
    ) -> None:
        draft = NotificationDraft(
            user_id=member.user_id,
            type=NotificationType.CHAT_ADDED,
            title="Added to a chat",
            body='Olivia added you to "Launch"',
            workspace_id=workspace_id,
            chat_id="chat-1",
            actor_id=owner.user_id,
            source_event_id="event-1",
        )

        assert await tc.core.notifications.deliver(draft)
        assert not await tc.core.notifications.deliver(draft)
        assert len((await tc.core.notifications.list(member)).items) == 1


class TestList:
    async def test_newest_first_and_only_the_callers_own(
        self, tc: TestCore, mia_inbox: Deliveries, admin: Actor, member: Actor, workspace_id: str
    ) -> None:
        await mia_inbox.deliver(workspace_id)
        await mia_inbox.deliver(workspace_id, recipient=admin)
        await mia_inbox.deliver(workspace_id)

        page = await tc.core.notifications.list(member)
        assert titles(page.items) == ["Notification 3", "Notification 1"]
        assert page.next_cursor is None
        assert titles((await tc.core.notifications.list(admin)).items) == ["Notification 2"]

    async def test_pages_follow_the_cursor_to_the_oldest(
        self, tc: TestCore, mia_inbox: Deliveries, member: Actor, workspace_id: str
    ) -> None:
        for _ in range(5):
            await mia_inbox.deliver(workspace_id)

        seen: list[str] = []
        cursor: str | None = None
        while True:
            page = await tc.core.notifications.list(member, limit=2, cursor=cursor)
            seen += titles(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == [f"Notification {n}" for n in (5, 4, 3, 2, 1)]

    async def test_filters_unread_workspace_and_type(
        self,
        tc: TestCore,
        mia_inbox: Deliveries,
        member: Actor,
        workspace_id: str,
        globex: str,
    ) -> None:
        first = await mia_inbox.deliver(workspace_id, NotificationType.TASK_ASSIGNED)
        await mia_inbox.deliver(globex, NotificationType.TASK_ASSIGNED)
        await mia_inbox.deliver(workspace_id, NotificationType.CHAT_MENTION)
        await tc.core.notifications.mark_read(member, first.id)
        service = tc.core.notifications

        unread = await service.list(member, unread_only=True)
        in_acme = await service.list(member, workspace_id=workspace_id)
        assigned = await service.list(member, type=" Task.Assigned ")
        assert titles(unread.items) == ["Notification 3", "Notification 2"]
        assert titles(in_acme.items) == ["Notification 3", "Notification 1"]
        assert titles(assigned.items) == ["Notification 2", "Notification 1"]

    async def test_an_unknown_type_is_a_validation_error_on_type(
        self, tc: TestCore, member: Actor
    ) -> None:
        with pytest.raises(ValidationFailed) as raised:
            await tc.core.notifications.list(member, type="task.deleted")
        assert [error.field for error in raised.value.errors] == ["type"]

    async def test_a_cursor_of_other_filters_and_a_bad_limit_are_refused(
        self, tc: TestCore, mia_inbox: Deliveries, member: Actor, workspace_id: str
    ) -> None:
        for _ in range(3):
            await mia_inbox.deliver(workspace_id)
        cursor = (await tc.core.notifications.list(member, limit=1)).next_cursor

        with pytest.raises(ValidationFailed) as wrong_cursor:
            await tc.core.notifications.list(member, unread_only=True, cursor=cursor)
        with pytest.raises(ValidationFailed) as wrong_limit:
            await tc.core.notifications.list(member, limit=101)
        assert wrong_cursor.value.errors[0].field == "cursor"
        assert wrong_limit.value.errors[0].field == "limit"

    async def test_notifications_of_a_workspace_left_are_neither_listed_nor_counted(
        self, tc: TestCore, mia_inbox: Deliveries, member: Actor, workspace_id: str, globex: str
    ) -> None:
        await mia_inbox.deliver(workspace_id)
        await mia_inbox.deliver(globex)
        await tc.core.workspaces.leave(member, globex)

        assert titles((await tc.core.notifications.list(member)).items) == ["Notification 1"]
        assert (await tc.core.notifications.list(member, workspace_id=globex)).items == []
        assert await tc.core.notifications.unread_count(member) == 1
        assert await tc.core.notifications.unread_count(member, globex) == 0


class TestUnreadCount:
    async def test_counts_unread_in_all_or_one_workspace(
        self, tc: TestCore, mia_inbox: Deliveries, member: Actor, workspace_id: str, globex: str
    ) -> None:
        first = await mia_inbox.deliver(workspace_id)
        await mia_inbox.deliver(workspace_id)
        await mia_inbox.deliver(globex)
        await tc.core.notifications.mark_read(member, first.id)

        assert await tc.core.notifications.unread_count(member) == 2
        assert await tc.core.notifications.unread_count(member, workspace_id) == 1
        assert await tc.core.notifications.unread_count(member, globex) == 1


class TestMarkRead:
    async def test_marks_it_read_now_and_again_changes_nothing(
        self, tc: TestCore, mia_inbox: Deliveries, member: Actor, workspace_id: str
    ) -> None:
        delivered = await mia_inbox.deliver(workspace_id)
        read_at = tc.clock.now()

        first = await tc.core.notifications.mark_read(member, delivered.id)
        tc.clock.advance(STEP)
        journal_size = len(tc.adapters.event_store.all_events())
        again = await tc.core.notifications.mark_read(member, delivered.id)

        assert (first.is_read, first.read_at) == (True, read_at)
        assert again == first
        assert len(tc.adapters.event_store.all_events()) == journal_size
        assert await tc.core.notifications.unread_count(member) == 0

    async def test_the_read_is_journaled_in_the_recipients_inbox(
        self, tc: TestCore, mia_inbox: Deliveries, member: Actor, workspace_id: str
    ) -> None:
        delivered = await mia_inbox.deliver(workspace_id)
        await tc.core.notifications.mark_read(member, delivered.id)

        last = tc.adapters.event_store.all_events()[-1]
        assert last.type == "notification.read"
        assert last.aggregate_id == inbox_stream_id(member.user_id)
        assert (last.workspace_id, last.actor_id) == (workspace_id, member.user_id)

    @pytest.mark.parametrize("whose", ["someone else's", "unknown"])
    async def test_a_notification_not_in_the_callers_inbox_is_not_found(
        self, tc: TestCore, mia_inbox: Deliveries, admin: Actor, workspace_id: str, whose: str
    ) -> None:
        delivered = await mia_inbox.deliver(workspace_id)
        notification_id = delivered.id if whose == "someone else's" else "no-such-id"

        with pytest.raises(DomainError) as raised:
            await tc.core.notifications.mark_read(admin, notification_id)
        assert raised.value.code is ErrorCode.NOTIFICATION_NOT_FOUND


class TestMarkAllRead:
    async def test_marks_every_unread_one_and_says_how_many(
        self, tc: TestCore, mia_inbox: Deliveries, member: Actor, workspace_id: str, globex: str
    ) -> None:
        first = await mia_inbox.deliver(workspace_id)
        await mia_inbox.deliver(workspace_id)
        await mia_inbox.deliver(globex)
        await tc.core.notifications.mark_read(member, first.id)

        assert await tc.core.notifications.mark_all_read(member) == 2
        assert await tc.core.notifications.unread_count(member) == 0
        last = tc.adapters.event_store.all_events()[-1]
        assert last.type == "notification.read"
        assert last.workspace_id is None

    async def test_one_workspace_leaves_the_others_unread(
        self, tc: TestCore, mia_inbox: Deliveries, member: Actor, workspace_id: str, globex: str
    ) -> None:
        await mia_inbox.deliver(workspace_id)
        await mia_inbox.deliver(globex)

        assert await tc.core.notifications.mark_all_read(member, globex) == 1
        unread = await tc.core.notifications.list(member, unread_only=True)
        assert [view.workspace_id for view in unread.items] == [workspace_id]

    async def test_nothing_unread_marks_nothing(
        self, tc: TestCore, member: Actor, workspace_id: str
    ) -> None:
        journal_size = len(tc.adapters.event_store.all_events())

        assert await tc.core.notifications.mark_all_read(member) == 0
        assert await tc.core.notifications.mark_all_read(member, "not-my-workspace") == 0
        assert len(tc.adapters.event_store.all_events()) == journal_size

    async def test_a_notification_delivered_later_stays_unread(
        self, tc: TestCore, mia_inbox: Deliveries, member: Actor, workspace_id: str
    ) -> None:
        await mia_inbox.deliver(workspace_id)
        await tc.core.notifications.mark_all_read(member)
        later = await mia_inbox.deliver(workspace_id)

        assert not later.is_read
        assert await tc.core.notifications.unread_count(member) == 1


class TestDelete:
    async def test_a_deleted_notification_is_gone(
        self, tc: TestCore, mia_inbox: Deliveries, member: Actor, workspace_id: str
    ) -> None:
        kept = await mia_inbox.deliver(workspace_id)
        deleted = await mia_inbox.deliver(workspace_id)

        await tc.core.notifications.delete(member, deleted.id)

        assert titles((await tc.core.notifications.list(member)).items) == [kept.title]
        assert await tc.core.notifications.unread_count(member) == 1
        with pytest.raises(DomainError) as again:
            await tc.core.notifications.delete(member, deleted.id)
        assert again.value.code is ErrorCode.NOTIFICATION_NOT_FOUND

    async def test_someone_elses_notification_is_not_found_and_stays(
        self, tc: TestCore, mia_inbox: Deliveries, member: Actor, admin: Actor, workspace_id: str
    ) -> None:
        delivered = await mia_inbox.deliver(workspace_id)

        with pytest.raises(DomainError) as raised:
            await tc.core.notifications.delete(admin, delivered.id)
        assert raised.value.code is ErrorCode.NOTIFICATION_NOT_FOUND
        assert titles((await tc.core.notifications.list(member)).items) == [delivered.title]


def inbox_commits(tc: TestCore) -> list[Commit]:
    """Each inbox event of the journal as a commit of its own, in journal order."""
    return [
        Commit(
            commit_id=f"replay-{envelope.event_id}",
            aggregate_type=envelope.aggregate_type,
            aggregate_id=envelope.aggregate_id,
            base_version=envelope.version - 1,
            workspace_id=envelope.workspace_id,
            chat_id=envelope.chat_id,
            actor_id=envelope.actor_id,
            recorded_at=envelope.occurred_at,
            events=(envelope,),
        )
        for envelope in tc.adapters.event_store.all_events()
        if envelope.aggregate_type is AggregateType.NOTIFICATION
    ]


class TestReadModel:
    async def test_replaying_or_rebuilding_from_the_journal_gives_the_same_inbox(
        self, tc: TestCore, mia_inbox: Deliveries, member: Actor, workspace_id: str
    ) -> None:
        first = await mia_inbox.deliver(workspace_id)
        second = await mia_inbox.deliver(workspace_id)
        await mia_inbox.deliver(workspace_id)
        await tc.core.notifications.mark_read(member, first.id)
        await tc.core.notifications.delete(member, second.id)
        await tc.core.notifications.mark_all_read(member)
        await mia_inbox.deliver(workspace_id)
        before = await tc.core.notifications.list(member)
        rebuilt_store = InMemoryNotificationStore()

        for store in (tc.adapters.notifications, rebuilt_store, rebuilt_store):
            for commit in inbox_commits(tc):
                await NotificationProjector(store).project(commit)

        assert await tc.core.notifications.list(member) == before
        rebuilt = await rebuilt_store.newest(
            member.user_id,
            workspace_ids=[workspace_id],
            unread_only=False,
            notification_type=None,
            before=None,
            limit=100,
        )
        assert [NotificationView.of(record) for record in rebuilt] == list(before.items)
        assert [view.is_read for view in before.items] == [False, True, True]
