"""`PATCH C` as one command: validation of the whole change set, then events in spec order."""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.domain.chat import (
    Chat,
    ChatAssigneeRemoved,
    ChatChanges,
    ChatDescriptionSet,
    ChatDueDateRemoved,
    ChatDueDateSet,
    ChatParticipantAdded,
    ChatPrioritySet,
    ChatRenamed,
    ChatSeveritySet,
    ChatStatusChanged,
    ChatUserAssigned,
    NewChat,
    ParticipantRole,
    Priority,
    Severity,
    Status,
    close,
    create_chat,
    evolve,
    update_work_item,
)
from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.events import DomainEvent

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
CHAT_ID = "7d1e0000-0000-4000-8000-000000000001"
ALICE = "00000000-0000-4000-8000-00000000a11c"
BOB = "00000000-0000-4000-8000-000000000b0b"
OUTSIDER = "00000000-0000-4000-8000-00000000000f"
MEMBERS = frozenset({ALICE, BOB})
MARCH = datetime(2026, 3, 1, tzinfo=UTC)


def then(chat: Chat | None, events: Iterable[DomainEvent]) -> Chat:
    for event in events:
        chat = evolve(chat, event, T1, chat_id=CHAT_ID)
    assert chat is not None
    return chat


def make_chat(draft: NewChat) -> Chat:
    return then(None, create_chat(draft, workspace_id="w", members=MEMBERS, actor_id=ALICE, now=T0))


def patch(chat: Chat, changes: ChatChanges) -> list[DomainEvent]:
    return update_work_item(chat, changes, members=MEMBERS, actor_id=BOB, now=T1)


def field_names(failure: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [error.field for error in failure.value.errors]


BUG = NewChat(type="bug", title="Crash", priority="Low", severity="Minor", due_date="2026-02-01")


def test_every_field_in_spec_order() -> None:
    chat = make_chat(BUG)
    changes = ChatChanges(
        due_date="2026-03-01",
        assignee_id=BOB,
        severity="major",
        priority="high",
        status="fixed",
        description="Steps",
        title="Crash on save",
    )
    assert patch(chat, changes) == [
        ChatRenamed(old_title="Crash", new_title="Crash on save", renamed_by=BOB),
        ChatDescriptionSet(description="Steps", changed_by=BOB),
        ChatStatusChanged(old_status=Status.NEW, new_status=Status.FIXED, changed_by=BOB),
        ChatPrioritySet(old_priority=Priority.LOW, new_priority=Priority.HIGH, changed_by=BOB),
        ChatSeveritySet(old_severity=Severity.MINOR, new_severity=Severity.MAJOR, changed_by=BOB),
        ChatParticipantAdded(user_id=BOB, role=ParticipantRole.MEMBER, added_by=BOB, joined_at=T1),
        ChatUserAssigned(assignee_id=BOB, previous_assignee_id=None, assigned_by=BOB),
        ChatDueDateSet(
            old_due_date=datetime(2026, 2, 1, tzinfo=UTC), new_due_date=MARCH, changed_by=BOB
        ),
    ]


def test_fields_equal_to_their_current_value_are_ignored() -> None:
    chat = make_chat(BUG)
    changes = ChatChanges(
        title=" Crash ",
        description="",
        status="new",
        priority="LOW",
        severity="minor",
        assignee_id=None,
        due_date="2026-02-01T00:00:00Z",
    )
    assert patch(chat, changes) == []
    assert patch(chat, ChatChanges()) == []


def test_null_clears_nullable_fields() -> None:
    chat = make_chat(BUG)
    chat = then(chat, patch(chat, ChatChanges(assignee_id=ALICE)))
    events = patch(chat, ChatChanges(priority=None, severity=None, assignee_id=None, due_date=None))
    assert events == [
        ChatPrioritySet(old_priority=Priority.LOW, new_priority=None, changed_by=BOB),
        ChatSeveritySet(old_severity=Severity.MINOR, new_severity=None, changed_by=BOB),
        ChatAssigneeRemoved(previous_assignee_id=ALICE, removed_by=BOB),
        ChatDueDateRemoved(previous_due_date=datetime(2026, 2, 1, tzinfo=UTC), removed_by=BOB),
    ]
    cleared = then(chat, events)
    assert (cleared.priority, cleared.severity, cleared.assignee_id, cleared.due_date) == (
        None,
        None,
        None,
        None,
    )


def test_every_bad_field_is_reported_and_nothing_is_emitted() -> None:
    chat = make_chat(NewChat(type="task", title="Fix login"))
    changes = ChatChanges(
        title="",
        description="x" * 5001,
        status="Closed",
        priority="urgent",
        severity="Major",
        assignee_id=OUTSIDER,
        due_date="soon",
    )
    with pytest.raises(ValidationFailed) as failure:
        patch(chat, changes)
    assert field_names(failure) == [
        "title",
        "description",
        "status",
        "priority",
        "severity",
        "assignee_id",
        "due_date",
    ]


@pytest.mark.parametrize(
    ("chat_type", "category", "status"),
    [
        ("bug", "review", Status.FIXED),
        ("bug", "DONE", Status.VERIFIED),
        ("task", "in_progress", Status.IN_PROGRESS),
        ("epic", "done", Status.COMPLETED),
    ],
)
def test_category_sets_the_first_status_of_the_type_in_it(
    chat_type: str, category: str, status: Status
) -> None:
    chat = make_chat(NewChat(type=chat_type, title="x"))
    assert then(chat, patch(chat, ChatChanges(category=category))).status is status


def test_category_done_on_a_closed_item_leaves_the_closed_state() -> None:
    chat = make_chat(NewChat(type="task", title="x"))
    chat = then(chat, close(chat, actor_id=ALICE, now=T1))
    chat = then(chat, patch(chat, ChatChanges(category="done")))
    assert chat.status is Status.DONE
    assert chat.previous_status is None


@pytest.mark.parametrize(
    ("chat_type", "changes"),
    [
        ("task", ChatChanges(category="review")),
        ("epic", ChatChanges(category="review")),
        ("task", ChatChanges(category="backlog")),
        ("task", ChatChanges(status="Done", category="done")),
    ],
)
def test_category_errors(chat_type: str, changes: ChatChanges) -> None:
    with pytest.raises(ValidationFailed) as failure:
        patch(make_chat(NewChat(type=chat_type, title="x")), changes)
    assert field_names(failure) == ["category"]


def test_discussion_accepts_only_a_title() -> None:
    chat = make_chat(NewChat(title="Lunch"))
    assert patch(chat, ChatChanges(title="")) == [
        ChatRenamed(old_title="Lunch", new_title="", renamed_by=BOB)
    ]


@pytest.mark.parametrize(
    "changes",
    [
        ChatChanges(description=""),
        ChatChanges(status="To Do"),
        ChatChanges(category="todo"),
        ChatChanges(priority=None),
        ChatChanges(severity="Minor"),
        ChatChanges(assignee_id=BOB),
        ChatChanges(due_date="bad", title="x" * 300),
    ],
)
def test_work_item_fields_on_a_discussion_are_not_a_work_item(changes: ChatChanges) -> None:
    with pytest.raises(DomainError) as failure:
        patch(make_chat(NewChat(title="Lunch")), changes)
    assert failure.value.code is ErrorCode.NOT_A_WORK_ITEM
