"""Single-field work-item commands: rename, description, status, priority, severity, assignee,
due date; their no-ops, field errors, and the guards shared by every chat command."""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import pytest
from msgspec.structs import replace

from flowra_core.domain.chat import (
    CLOSED,
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
    add_attachment,
    add_participant,
    assign,
    change_status,
    close,
    convert,
    create_chat,
    delete,
    evolve,
    join,
    leave,
    remove_attachment,
    remove_due_date,
    remove_participant,
    rename,
    reopen,
    set_description,
    set_due_date,
    set_priority,
    set_severity,
    unassign,
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
TASK = NewChat(type="task", title="Fix Safari login")
BUG = NewChat(type="bug", title="Crash on save")
DISCUSSION = NewChat(title="Lunch")


def then(chat: Chat | None, events: Iterable[DomainEvent]) -> Chat:
    for event in events:
        chat = evolve(chat, event, T1, chat_id=CHAT_ID)
    assert chat is not None
    return chat


def make_chat(draft: NewChat = TASK) -> Chat:
    return then(None, create_chat(draft, workspace_id="w", members=MEMBERS, actor_id=ALICE, now=T0))


def field_names(failure: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [error.field for error in failure.value.errors]


# --- guards shared by every command ---------------------------------------------------------

Command = Callable[[Chat], list[DomainEvent]]

WORK_ITEM_COMMANDS: dict[str, Command] = {
    "set_description": lambda c: set_description(c, "d", actor_id=ALICE, now=T1),
    "change_status": lambda c: change_status(c, "Done", actor_id=ALICE, now=T1),
    "set_priority": lambda c: set_priority(c, "High", actor_id=ALICE, now=T1),
    "set_severity": lambda c: set_severity(c, "Major", actor_id=ALICE, now=T1),
    "assign": lambda c: assign(c, BOB, members=MEMBERS, actor_id=ALICE, now=T1),
    "unassign": lambda c: unassign(c, actor_id=ALICE, now=T1),
    "set_due_date": lambda c: set_due_date(c, "2026-03-01", actor_id=ALICE, now=T1),
    "remove_due_date": lambda c: remove_due_date(c, actor_id=ALICE, now=T1),
    "close": lambda c: close(c, actor_id=ALICE, now=T1),
    "reopen": lambda c: reopen(c, actor_id=ALICE, now=T1),
    "add_attachment": lambda c: add_attachment(
        c,
        file_id="f",
        file_name="a.png",
        file_size=1,
        mime_type="image/png",
        actor_id=ALICE,
        now=T1,
    ),
    "remove_attachment": lambda c: remove_attachment(c, "f", actor_id=ALICE, now=T1),
    "update_work_item": lambda c: update_work_item(
        c, ChatChanges(priority="High"), members=MEMBERS, actor_id=ALICE, now=T1
    ),
}

ANY_CHAT_COMMANDS: dict[str, Command] = {
    **WORK_ITEM_COMMANDS,
    "rename": lambda c: rename(c, "New title", actor_id=ALICE, now=T1),
    "convert": lambda c: convert(c, "bug", actor_id=ALICE, now=T1),
    "delete": lambda c: delete(c, actor_id=ALICE, now=T1),
    "add_participant": lambda c: add_participant(c, BOB, members=MEMBERS, actor_id=ALICE, now=T1),
    "remove_participant": lambda c: remove_participant(c, ALICE, actor_id=ALICE, now=T1),
    "leave": lambda c: leave(c, actor_id=ALICE, now=T1),
    "join": lambda c: join(c, actor_id=BOB, now=T1),
}


@pytest.mark.parametrize("command", ANY_CHAT_COMMANDS.values(), ids=ANY_CHAT_COMMANDS.keys())
def test_every_command_on_a_deleted_chat_is_chat_not_found(command: Command) -> None:
    chat = replace(make_chat(), deleted_at=T0, deleted_by=ALICE)
    with pytest.raises(DomainError) as failure:
        command(chat)
    assert failure.value.code is ErrorCode.CHAT_NOT_FOUND


@pytest.mark.parametrize("command", WORK_ITEM_COMMANDS.values(), ids=WORK_ITEM_COMMANDS.keys())
def test_work_item_commands_on_a_discussion_are_not_a_work_item(command: Command) -> None:
    with pytest.raises(DomainError) as failure:
        command(make_chat(DISCUSSION))
    assert failure.value.code is ErrorCode.NOT_A_WORK_ITEM


# --- rename and description -----------------------------------------------------------------


def test_rename_trims_and_emits_old_and_new_title() -> None:
    events = rename(make_chat(), "  Fix login  ", actor_id=BOB, now=T1)
    assert events == [
        ChatRenamed(old_title="Fix Safari login", new_title="Fix login", renamed_by=BOB)
    ]
    chat = then(make_chat(), events)
    assert chat.title == "Fix login"
    assert chat.updated_at == T1


def test_rename_to_the_same_title_is_a_no_op() -> None:
    assert rename(make_chat(), " Fix Safari login ", actor_id=ALICE, now=T1) == []


@pytest.mark.parametrize(
    ("draft", "title", "accepted"),
    [
        (TASK, "", False),
        (TASK, "   ", False),
        (TASK, "x" * 201, False),
        (TASK, "x" * 200, True),
        (DISCUSSION, "", True),
        (DISCUSSION, "x" * 201, False),
    ],
)
def test_title_rules_follow_the_current_type(draft: NewChat, title: str, accepted: bool) -> None:
    chat = make_chat(draft)
    if accepted:
        assert then(chat, rename(chat, title, actor_id=ALICE, now=T1)).title == title.strip()
        return
    with pytest.raises(ValidationFailed) as failure:
        rename(chat, title, actor_id=ALICE, now=T1)
    assert field_names(failure) == ["title"]


def test_description_is_kept_verbatim_and_whitespace_only_clears_it() -> None:
    chat = make_chat()
    events = set_description(chat, "  indented\n", actor_id=ALICE, now=T1)
    assert events == [ChatDescriptionSet(description="  indented\n", changed_by=ALICE)]
    chat = then(chat, events)
    assert set_description(chat, "  indented\n", actor_id=ALICE, now=T1) == []
    cleared = set_description(chat, " \n ", actor_id=ALICE, now=T1)
    assert cleared == [ChatDescriptionSet(description="", changed_by=ALICE)]


def test_description_at_most_5000_characters() -> None:
    chat = make_chat()
    assert then(chat, set_description(chat, "é" * 5000, actor_id=ALICE, now=T1)).description
    with pytest.raises(ValidationFailed) as failure:
        set_description(chat, "é" * 5001, actor_id=ALICE, now=T1)
    assert field_names(failure) == ["description"]


# --- status ---------------------------------------------------------------------------------


def test_change_status_accepts_any_status_of_the_type() -> None:
    chat = make_chat()
    events = change_status(chat, "done", actor_id=BOB, now=T1)
    assert events == [
        ChatStatusChanged(old_status=Status.TO_DO, new_status=Status.DONE, changed_by=BOB)
    ]
    chat = then(chat, events)
    assert chat.status is Status.DONE
    assert then(chat, change_status(chat, "To Do", actor_id=BOB, now=T1)).status is Status.TO_DO


def test_same_status_is_a_no_op() -> None:
    assert change_status(make_chat(), " to do ", actor_id=ALICE, now=T1) == []


@pytest.mark.parametrize("status", ["Closed", "Fixed", "Backlog"])
def test_closed_and_foreign_statuses_are_refused(status: str) -> None:
    with pytest.raises(ValidationFailed) as failure:
        change_status(make_chat(), status, actor_id=ALICE, now=T1)
    assert field_names(failure) == ["status"]
    assert "Allowed: To Do, In Progress, Done" in failure.value.errors[0].message


def test_setting_a_status_on_a_closed_item_leaves_the_closed_state() -> None:
    chat = make_chat()
    chat = then(chat, change_status(chat, "In Progress", actor_id=ALICE, now=T1))
    chat = then(chat, close(chat, actor_id=ALICE, now=T1))
    assert chat.status is CLOSED
    assert chat.previous_status is Status.IN_PROGRESS
    events = change_status(chat, "in progress", actor_id=ALICE, now=T1)
    assert events == [
        ChatStatusChanged(old_status=CLOSED, new_status=Status.IN_PROGRESS, changed_by=ALICE)
    ]
    chat = then(chat, events)
    assert chat.status is Status.IN_PROGRESS
    assert chat.previous_status is None
    assert not chat.is_closed


# --- priority and severity ------------------------------------------------------------------


def test_priority_set_changed_and_cleared() -> None:
    chat = make_chat()
    events = set_priority(chat, "high", actor_id=ALICE, now=T1)
    assert events == [
        ChatPrioritySet(old_priority=None, new_priority=Priority.HIGH, changed_by=ALICE)
    ]
    chat = then(chat, events)
    assert set_priority(chat, "HIGH", actor_id=ALICE, now=T1) == []
    cleared = set_priority(chat, None, actor_id=ALICE, now=T1)
    assert cleared == [
        ChatPrioritySet(old_priority=Priority.HIGH, new_priority=None, changed_by=ALICE)
    ]
    assert then(chat, cleared).priority is None
    assert set_priority(make_chat(), None, actor_id=ALICE, now=T1) == []


def test_unknown_priority_is_a_field_error() -> None:
    with pytest.raises(ValidationFailed) as failure:
        set_priority(make_chat(), "urgent", actor_id=ALICE, now=T1)
    assert field_names(failure) == ["priority"]


def test_severity_on_bugs() -> None:
    chat = make_chat(BUG)
    events = set_severity(chat, "blocker", actor_id=ALICE, now=T1)
    assert events == [
        ChatSeveritySet(old_severity=None, new_severity=Severity.BLOCKER, changed_by=ALICE)
    ]
    chat = then(chat, events)
    assert set_severity(chat, "Blocker", actor_id=ALICE, now=T1) == []
    assert then(chat, set_severity(chat, None, actor_id=ALICE, now=T1)).severity is None
    with pytest.raises(ValidationFailed) as failure:
        set_severity(chat, "high", actor_id=ALICE, now=T1)
    assert field_names(failure) == ["severity"]


@pytest.mark.parametrize("severity", ["Major", None])
def test_severity_on_a_non_bug_is_a_severity_field_error(severity: str | None) -> None:
    with pytest.raises(ValidationFailed) as failure:
        set_severity(make_chat(TASK), severity, actor_id=ALICE, now=T1)
    assert field_names(failure) == ["severity"]
    assert failure.value.errors[0].message == "Only bugs have a severity"


# --- assignee -------------------------------------------------------------------------------


def test_assigning_a_non_participant_adds_them_first() -> None:
    chat = make_chat()
    events = assign(chat, BOB, members=MEMBERS, actor_id=ALICE, now=T1)
    assert events == [
        ChatParticipantAdded(
            user_id=BOB, role=ParticipantRole.MEMBER, added_by=ALICE, joined_at=T1
        ),
        ChatUserAssigned(assignee_id=BOB, previous_assignee_id=None, assigned_by=ALICE),
    ]
    chat = then(chat, events)
    assert chat.assignee_id == BOB
    assert chat.is_participant(BOB)


def test_assigning_a_participant_and_reassigning() -> None:
    chat = make_chat()
    chat = then(chat, assign(chat, BOB, members=MEMBERS, actor_id=ALICE, now=T1))
    assert assign(chat, BOB, members=MEMBERS, actor_id=ALICE, now=T1) == []
    events = assign(chat, ALICE, members=MEMBERS, actor_id=BOB, now=T1)
    assert events == [
        ChatUserAssigned(assignee_id=ALICE, previous_assignee_id=BOB, assigned_by=BOB)
    ]


def test_assignee_must_be_a_workspace_member() -> None:
    with pytest.raises(ValidationFailed) as failure:
        assign(make_chat(), OUTSIDER, members=MEMBERS, actor_id=ALICE, now=T1)
    assert field_names(failure) == ["assignee_id"]


def test_unassign() -> None:
    chat = make_chat()
    assert unassign(chat, actor_id=ALICE, now=T1) == []
    chat = then(chat, assign(chat, BOB, members=MEMBERS, actor_id=ALICE, now=T1))
    events = unassign(chat, actor_id=ALICE, now=T1)
    assert events == [ChatAssigneeRemoved(previous_assignee_id=BOB, removed_by=ALICE)]
    chat = then(chat, events)
    assert chat.assignee_id is None
    assert chat.is_participant(BOB)


# --- due date -------------------------------------------------------------------------------


def test_due_date_set_changed_and_removed() -> None:
    chat = make_chat()
    march = datetime(2026, 3, 1, tzinfo=UTC)
    events = set_due_date(chat, "2026-03-01", actor_id=ALICE, now=T1)
    assert events == [ChatDueDateSet(old_due_date=None, new_due_date=march, changed_by=ALICE)]
    chat = then(chat, events)
    assert chat.due_date == march
    assert set_due_date(chat, "2026-03-01T00:00:00Z", actor_id=ALICE, now=T1) == []
    later = set_due_date(chat, "2026-03-01T12:00:00+02:00", actor_id=ALICE, now=T1)
    assert later == [
        ChatDueDateSet(old_due_date=march, new_due_date=march.replace(hour=10), changed_by=ALICE)
    ]
    removed = remove_due_date(chat, actor_id=ALICE, now=T1)
    assert removed == [ChatDueDateRemoved(previous_due_date=march, removed_by=ALICE)]
    assert then(chat, removed).due_date is None
    assert remove_due_date(make_chat(), actor_id=ALICE, now=T1) == []


def test_due_date_is_kept_to_the_millisecond_as_mongodb_stores_it() -> None:
    events = set_due_date(make_chat(), "2026-03-01T09:05:07.123987Z", actor_id=ALICE, now=T1)
    chat = then(make_chat(), events)

    assert chat.due_date == datetime(2026, 3, 1, 9, 5, 7, 123_000, tzinfo=UTC)
    # What a reload from MongoDB gives back is the same due date: setting it again is a no-op.
    assert set_due_date(chat, "2026-03-01T09:05:07.123Z", actor_id=ALICE, now=T1) == []


@pytest.mark.parametrize("text", ["tomorrow", "2026-02-30", "01/03/2026", ""])
def test_badly_formatted_due_date_is_a_field_error(text: str) -> None:
    with pytest.raises(ValidationFailed) as failure:
        set_due_date(make_chat(), text, actor_id=ALICE, now=T1)
    assert field_names(failure) == ["due_date"]
