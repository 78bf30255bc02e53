from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from flowra_core.domain.chat.events import (
    ChatAssigneeRemoved,
    ChatClosed,
    ChatParticipantAdded,
    ChatPrioritySet,
    ChatReopened,
    ChatStatusChanged,
    ChatUserAssigned,
)
from flowra_core.domain.chat.vocabulary import ParticipantRole, Priority, Status
from flowra_core.domain.events import DomainEvent
from flowra_core.domain.message import MessageCreated, MessageEdited, MessageType
from flowra_core.domain.notification import (
    NotificationContext,
    NotificationDraft,
    NotificationType,
    notifications_for,
)

NOW = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
ALICE, BOB, CAROL, DAVE = "user-alice", "user-bob", "user-carol", "user-dave"


def context(
    *,
    title: str | None = "Fix login",
    assignee_id: str | None = BOB,
    creator_id: str = CAROL,
    can_read: Callable[[str], bool] = lambda _: True,
) -> NotificationContext:
    return NotificationContext(
        workspace_id="ws-1",
        chat_id="chat-1",
        chat_title=title,
        actor_display_name="Alice Smith",
        assignee_id=assignee_id,
        creator_id=creator_id,
        can_read=can_read,
    )


def notify(
    event: DomainEvent, ctx: NotificationContext | None = None, *, actor_id: str | None = ALICE
) -> list[NotificationDraft]:
    return notifications_for(event, event_id="event-1", actor_id=actor_id, context=ctx or context())


def recipients(drafts: list[NotificationDraft]) -> list[str]:
    return [draft.user_id for draft in drafts]


def mention(
    mentions: tuple[str, ...], message_type: MessageType = MessageType.USER
) -> MessageCreated:
    return MessageCreated(
        message_id="msg-1",
        chat_id="chat-1",
        author_id=ALICE,
        message_type=message_type,
        content="hello",
        mentions=mentions,
        created_at=NOW,
    )


def status_changed(status: Status = Status.DONE) -> ChatStatusChanged:
    return ChatStatusChanged(old_status=Status.TO_DO, new_status=status, changed_by=ALICE)


def closed() -> ChatClosed:
    return ChatClosed(closed_by=ALICE, previous_status=Status.IN_PROGRESS, closed_at=NOW)


def reopened() -> ChatReopened:
    return ChatReopened(reopened_by=ALICE, new_status=Status.IN_PROGRESS, reopened_at=NOW)


def assigned(assignee_id: str = BOB) -> ChatUserAssigned:
    return ChatUserAssigned(assignee_id=assignee_id, previous_assignee_id=None, assigned_by=ALICE)


def added(user_id: str = DAVE, added_by: str = ALICE) -> ChatParticipantAdded:
    return ChatParticipantAdded(
        user_id=user_id, role=ParticipantRole.MEMBER, added_by=added_by, joined_at=NOW
    )


# One test per row of the domain.md §5 table, checking every field of the draft.


def test_assignment_notifies_the_new_assignee() -> None:
    assert notify(assigned(BOB)) == [
        NotificationDraft(
            user_id=BOB,
            type=NotificationType.TASK_ASSIGNED,
            title="Assigned to you",
            body='Alice Smith assigned you to "Fix login"',
            workspace_id="ws-1",
            chat_id="chat-1",
            message_id=None,
            actor_id=ALICE,
            source_event_id="event-1",
        )
    ]


@pytest.mark.parametrize(
    ("event", "status_text"),
    [
        (status_changed(Status.DONE), "Done"),
        (closed(), "Closed"),
        (reopened(), "In Progress"),
    ],
    ids=["chat.status_changed", "chat.closed", "chat.reopened"],
)
def test_status_changes_notify_the_assignee_and_the_creator(
    event: DomainEvent, status_text: str
) -> None:
    drafts = notify(event)

    assert recipients(drafts) == [BOB, CAROL]
    for draft in drafts:
        assert draft.type is NotificationType.TASK_STATUS_CHANGED
        assert draft.title == "Status changed"
        assert draft.body == f'Alice Smith changed the status of "Fix login" to {status_text}'
        assert (draft.chat_id, draft.message_id, draft.actor_id) == ("chat-1", None, ALICE)


def test_a_mention_notifies_the_mentioned_readers() -> None:
    assert notify(mention((BOB, CAROL))) == [
        NotificationDraft(
            user_id=user_id,
            type=NotificationType.CHAT_MENTION,
            title="You were mentioned",
            body='Alice Smith mentioned you in "Fix login"',
            workspace_id="ws-1",
            chat_id="chat-1",
            message_id="msg-1",
            actor_id=ALICE,
            source_event_id="event-1",
        )
        for user_id in (BOB, CAROL)
    ]


def test_being_added_notifies_the_added_user() -> None:
    assert notify(added(DAVE)) == [
        NotificationDraft(
            user_id=DAVE,
            type=NotificationType.CHAT_ADDED,
            title="Added to a chat",
            body='Alice Smith added you to "Fix login"',
            workspace_id="ws-1",
            chat_id="chat-1",
            message_id=None,
            actor_id=ALICE,
            source_event_id="event-1",
        )
    ]


# Recipients


@pytest.mark.parametrize(
    "event",
    [assigned(ALICE), status_changed(), closed(), reopened(), mention((ALICE,))],
    ids=["assigned", "status_changed", "closed", "reopened", "mention"],
)
def test_the_actor_never_notifies_themselves(event: DomainEvent) -> None:
    ctx = context(assignee_id=ALICE, creator_id=ALICE)

    assert notify(event, ctx) == []


def test_a_status_change_by_the_assignee_notifies_only_the_creator() -> None:
    assert recipients(notify(status_changed(), context(assignee_id=ALICE))) == [CAROL]


def test_an_assignee_who_is_also_the_creator_gets_one_notification() -> None:
    assert recipients(notify(status_changed(), context(assignee_id=BOB, creator_id=BOB))) == [BOB]


def test_a_status_change_without_assignee_notifies_the_creator() -> None:
    assert recipients(notify(closed(), context(assignee_id=None))) == [CAROL]


def test_a_user_mentioned_several_times_gets_one_notification() -> None:
    assert recipients(notify(mention((BOB, BOB)))) == [BOB]


def test_only_users_who_can_read_the_chat_are_notified_of_a_mention() -> None:
    ctx = context(can_read=lambda user_id: user_id != BOB)

    assert recipients(notify(mention((BOB, CAROL)), ctx)) == [CAROL]


@pytest.mark.parametrize("message_type", [MessageType.BOT, MessageType.SYSTEM])
def test_bot_and_system_messages_never_notify_mentions(message_type: MessageType) -> None:
    assert notify(mention((BOB,), message_type)) == []


def test_a_message_without_mentions_notifies_nobody() -> None:
    assert notify(mention(())) == []


def test_joining_a_chat_notifies_nobody() -> None:
    assert notify(added(DAVE, added_by=DAVE), actor_id=DAVE) == []


def test_without_an_actor_nobody_is_excluded() -> None:
    drafts = notify(status_changed(), actor_id=None)

    assert recipients(drafts) == [BOB, CAROL]
    assert all(draft.actor_id is None for draft in drafts)


@pytest.mark.parametrize(
    "event",
    [
        MessageEdited(
            message_id="msg-1",
            chat_id="chat-1",
            content="@bob",
            mentions=(BOB,),
            edited_by=ALICE,
            edited_at=NOW,
        ),
        ChatAssigneeRemoved(previous_assignee_id=BOB, removed_by=ALICE),
        ChatPrioritySet(old_priority=None, new_priority=Priority.HIGH, changed_by=ALICE),
    ],
    ids=["message.edited", "chat.assignee_removed", "chat.priority_set"],
)
def test_other_events_notify_nobody(event: DomainEvent) -> None:
    assert notify(event) == []


# Text


@pytest.mark.parametrize("title", [None, ""])
def test_an_untitled_discussion_is_called_untitled_chat(title: str | None) -> None:
    [draft] = notify(added(DAVE), context(title=title))

    assert draft.body == 'Alice Smith added you to "untitled chat"'


def test_the_title_is_quoted_verbatim() -> None:
    [draft] = notify(assigned(BOB), context(title='Say "hi" #2'))

    assert draft.body == 'Alice Smith assigned you to "Say "hi" #2"'


def test_drafts_carry_the_source_key_for_deduplication() -> None:
    [draft] = notify(assigned(BOB))

    assert draft.source_key == ("event-1", NotificationType.TASK_ASSIGNED)
