import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.domain.events import (
    AggregateType,
    DomainEvent,
    EventEnvelope,
    envelope_from_wire,
    envelope_to_wire,
)
from flowra_core.domain.notification import (
    Inbox,
    Notification,
    NotificationCreated,
    NotificationDeleted,
    NotificationDraft,
    NotificationRead,
    NotificationType,
    delete_notification,
    deliver_notification,
    evolve,
    mark_all_read,
    mark_read,
    replay,
)

NOW = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
LATER = NOW + timedelta(minutes=1)
BOB = "user-bob"


def draft(
    source_event_id: str,
    *,
    workspace_id: str = "ws-1",
    kind: NotificationType = NotificationType.CHAT_MENTION,
) -> NotificationDraft:
    return NotificationDraft(
        user_id=BOB,
        type=kind,
        title="You were mentioned",
        body='Alice mentioned you in "Fix login"',
        workspace_id=workspace_id,
        chat_id="chat-1",
        message_id="msg-1",
        actor_id="user-alice",
        source_event_id=source_event_id,
    )


def apply(inbox: Inbox | None, events: list[DomainEvent]) -> Inbox:
    for event in events:
        inbox = evolve(inbox, event)
    assert inbox is not None
    return inbox


def inbox_with(*drafts: NotificationDraft) -> Inbox:
    inbox: Inbox | None = None
    for number, item in enumerate(drafts, start=1):
        inbox = apply(inbox, deliver_notification(inbox, item, notification_id=f"n-{number}"))
    assert inbox is not None
    return inbox


def read_ids(inbox: Inbox) -> list[str]:
    return [n.id for n in inbox.notifications if n.is_read]


# Deliver


def test_delivering_into_an_empty_inbox_creates_it() -> None:
    events = deliver_notification(None, draft("event-1"), notification_id="n-1")

    assert events == [
        NotificationCreated(
            notification_id="n-1",
            user_id=BOB,
            notification_type=NotificationType.CHAT_MENTION,
            title="You were mentioned",
            body='Alice mentioned you in "Fix login"',
            chat_id="chat-1",
            message_id="msg-1",
            actor_id="user-alice",
            workspace_id="ws-1",
            source_event_id="event-1",
        )
    ]
    assert events[0].aggregate_type is AggregateType.NOTIFICATION
    inbox = apply(None, events)
    assert inbox.id == BOB
    assert inbox.version == 1
    assert inbox.notifications == (
        Notification(
            id="n-1",
            user_id=BOB,
            type=NotificationType.CHAT_MENTION,
            title="You were mentioned",
            body='Alice mentioned you in "Fix login"',
            workspace_id="ws-1",
            chat_id="chat-1",
            message_id="msg-1",
            actor_id="user-alice",
            source_event_id="event-1",
            read_at=None,
        ),
    )


def test_a_redelivered_event_creates_no_duplicate() -> None:
    inbox = inbox_with(draft("event-1"))

    assert deliver_notification(inbox, draft("event-1"), notification_id="n-2") == []


def test_a_deleted_notification_does_not_come_back_on_redelivery() -> None:
    inbox = inbox_with(draft("event-1"))
    inbox = apply(inbox, delete_notification(inbox, "n-1"))

    assert deliver_notification(inbox, draft("event-1"), notification_id="n-2") == []


def test_one_event_may_notify_the_same_user_with_another_type() -> None:
    inbox = inbox_with(draft("event-1"))
    other = draft("event-1", kind=NotificationType.CHAT_ADDED)

    assert len(deliver_notification(inbox, other, notification_id="n-2")) == 1


# Mark read


def test_mark_read_emits_one_event_for_the_unread_ones() -> None:
    inbox = inbox_with(draft("e-1"), draft("e-2"), draft("e-3"))
    inbox = apply(inbox, mark_read(inbox, ["n-2"], now=NOW))

    events = mark_read(inbox, ["n-1", "n-2", "n-3", "n-1"], now=LATER)

    assert events == [NotificationRead(user_id=BOB, notification_ids=("n-1", "n-3"), read_at=LATER)]
    after = apply(inbox, events)
    assert read_ids(after) == ["n-1", "n-2", "n-3"]
    assert after.notification("n-2") == inbox.notification("n-2")  # keeps its first read_at


def test_marking_read_notifications_read_again_is_a_no_op() -> None:
    inbox = inbox_with(draft("e-1"))
    inbox = apply(inbox, mark_read(inbox, ["n-1"], now=NOW))

    assert mark_read(inbox, ["n-1"], now=LATER) == []


@pytest.mark.parametrize("inbox", [None, inbox_with(draft("e-1"))], ids=["no inbox", "inbox"])
def test_marking_an_unknown_notification_read_fails(inbox: Inbox | None) -> None:
    with pytest.raises(DomainError) as error:
        mark_read(inbox, ["n-1", "n-404"], now=NOW)

    assert error.value.code is ErrorCode.NOTIFICATION_NOT_FOUND


def test_mark_all_read_emits_one_event_with_all_true() -> None:
    inbox = inbox_with(draft("e-1"), draft("e-2", workspace_id="ws-2"))

    events = mark_all_read(inbox, now=NOW)

    assert events == [NotificationRead(user_id=BOB, notification_ids=(), all=True, read_at=NOW)]
    assert read_ids(apply(inbox, events)) == ["n-1", "n-2"]


def test_mark_all_read_of_one_workspace_lists_its_unread_ids() -> None:
    inbox = inbox_with(draft("e-1"), draft("e-2", workspace_id="ws-2"), draft("e-3"))

    events = mark_all_read(inbox, now=NOW, workspace_id="ws-1")

    assert events == [NotificationRead(user_id=BOB, notification_ids=("n-1", "n-3"), read_at=NOW)]
    assert read_ids(apply(inbox, events)) == ["n-1", "n-3"]


def test_mark_all_read_keeps_earlier_read_times() -> None:
    inbox = inbox_with(draft("e-1"), draft("e-2"))
    inbox = apply(inbox, mark_read(inbox, ["n-1"], now=NOW))

    after = apply(inbox, mark_all_read(inbox, now=LATER))

    assert [n.read_at for n in after.notifications] == [NOW, LATER]


@pytest.mark.parametrize("workspace_id", [None, "ws-1", "ws-other"])
def test_mark_all_read_with_nothing_unread_is_a_no_op(workspace_id: str | None) -> None:
    inbox = inbox_with(draft("e-1"))
    inbox = apply(inbox, mark_read(inbox, ["n-1"], now=NOW))

    assert mark_all_read(inbox, now=LATER, workspace_id=workspace_id) == []
    assert mark_all_read(None, now=LATER, workspace_id=workspace_id) == []


# Delete


def test_delete_removes_the_notification() -> None:
    inbox = inbox_with(draft("e-1"), draft("e-2"))

    events = delete_notification(inbox, "n-1")

    assert events == [NotificationDeleted(user_id=BOB, notification_id="n-1")]
    assert [n.id for n in apply(inbox, events).notifications] == ["n-2"]


@pytest.mark.parametrize("inbox", [None, inbox_with(draft("e-1"))], ids=["no inbox", "inbox"])
def test_deleting_an_unknown_notification_fails(inbox: Inbox | None) -> None:
    with pytest.raises(DomainError) as error:
        delete_notification(inbox, "n-404")

    assert error.value.code is ErrorCode.NOTIFICATION_NOT_FOUND


def test_a_deleted_notification_cannot_be_deleted_or_read_again() -> None:
    inbox = inbox_with(draft("e-1"))
    inbox = apply(inbox, delete_notification(inbox, "n-1"))

    with pytest.raises(DomainError):
        delete_notification(inbox, "n-1")
    with pytest.raises(DomainError):
        mark_read(inbox, ["n-1"], now=NOW)


# Evolve / replay


def test_replay_rebuilds_the_inbox_from_its_events() -> None:
    history: list[DomainEvent] = []
    inbox: Inbox | None = None
    decisions: list[Callable[[Inbox | None], list[DomainEvent]]] = [
        lambda i: deliver_notification(i, draft("e-1"), notification_id="n-1"),
        lambda i: deliver_notification(i, draft("e-2", workspace_id="ws-2"), notification_id="n-2"),
        lambda i: deliver_notification(i, draft("e-3"), notification_id="n-3"),
        lambda i: mark_read(i, ["n-2"], now=NOW),
        lambda i: delete_notification(i, "n-3"),
        lambda i: mark_all_read(i, now=LATER),
    ]
    for decide in decisions:
        events = decide(inbox)
        history.extend(events)
        inbox = apply(inbox, events)

    assert replay(history) == inbox
    assert inbox is not None
    assert inbox.version == len(history) == 6
    assert [(n.id, n.read_at) for n in inbox.notifications] == [("n-1", LATER), ("n-2", NOW)]
    assert inbox.delivered_keys == {(f"e-{n}", NotificationType.CHAT_MENTION) for n in (1, 2, 3)}


def test_an_inbox_starts_with_a_created_notification() -> None:
    with pytest.raises(ValueError, match=r"notification\.created"):
        evolve(None, NotificationDeleted(user_id=BOB, notification_id="n-1"))


def test_the_inbox_survives_a_snapshot_round_trip() -> None:
    inbox = inbox_with(draft("e-1"), draft("e-2"))
    inbox = apply(inbox, mark_read(inbox, ["n-1"], now=NOW))

    assert msgspec.json.decode(msgspec.json.encode(inbox), type=Inbox) == inbox


@pytest.mark.parametrize(
    "event",
    [
        deliver_notification(None, draft("e-1"), notification_id="n-1")[0],
        NotificationRead(user_id=BOB, notification_ids=("n-1",), read_at=NOW),
        NotificationRead(user_id=BOB, all=True, read_at=NOW),
        NotificationDeleted(user_id=BOB, notification_id="n-1"),
    ],
    ids=["created", "read ids", "read all", "deleted"],
)
def test_inbox_events_round_trip_through_the_envelope(event: DomainEvent) -> None:
    envelope = EventEnvelope(
        event_id="event-9",
        aggregate_type=AggregateType.NOTIFICATION,
        aggregate_id=BOB,
        version=1,
        workspace_id=None,
        chat_id=None,
        actor_id=BOB,
        occurred_at=NOW,
        event=event,
    )

    wire = json.loads(json.dumps(envelope_to_wire(envelope)))

    assert envelope_from_wire(wire) == envelope
