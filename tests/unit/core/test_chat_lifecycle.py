"""Convert, close, reopen and delete: status mapping by category, closed items, severity."""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from msgspec.structs import replace

from flowra_core.domain.chat import (
    CLOSED,
    Chat,
    ChatClosed,
    ChatDeleted,
    ChatReopened,
    ChatSeveritySet,
    ChatType,
    ChatTypeChanged,
    NewChat,
    Severity,
    Status,
    change_status,
    close,
    convert,
    create_chat,
    delete,
    evolve,
    reopen,
    set_severity,
)
from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.events import DomainEvent

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
CHAT_ID = "7d1e0000-0000-4000-8000-000000000001"
ALICE = "00000000-0000-4000-8000-00000000a11c"
BOB = "00000000-0000-4000-8000-000000000b0b"


def then(chat: Chat | None, events: Iterable[DomainEvent]) -> Chat:
    for event in events:
        chat = evolve(chat, event, T1, chat_id=CHAT_ID)
    assert chat is not None
    return chat


def make_chat(chat_type: str = "task", title: str = "Fix login", status: str | None = None) -> Chat:
    draft = NewChat(type=chat_type, title=title, status=status)
    return then(None, create_chat(draft, workspace_id="w", members={ALICE}, actor_id=ALICE, now=T0))


def closed(chat: Chat) -> Chat:
    return then(chat, close(chat, actor_id=ALICE, now=T1))


def field_names(failure: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [error.field for error in failure.value.errors]


# --- convert --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old_type", "status", "new_type", "new_status"),
    [
        ("task", "To Do", "bug", Status.NEW),
        ("task", "In Progress", "bug", Status.INVESTIGATING),
        ("task", "Done", "epic", Status.COMPLETED),
        ("bug", "Fixed", "task", Status.TO_DO),
        ("bug", "Fixed", "epic", Status.PLANNED),
        ("bug", "Verified", "task", Status.DONE),
        ("bug", "Investigating", "epic", Status.IN_PROGRESS),
        ("epic", "In Progress", "task", Status.IN_PROGRESS),
        ("epic", "Planned", "bug", Status.NEW),
    ],
)
def test_typed_conversion_maps_the_status_by_category(
    old_type: str, status: str, new_type: str, new_status: Status
) -> None:
    chat = make_chat(old_type, status=status)
    events = convert(chat, new_type, actor_id=BOB, now=T1)
    assert events == [
        ChatTypeChanged(
            old_type=ChatType(old_type),
            new_type=ChatType(new_type),
            title=None,
            old_status=chat.status,
            new_status=new_status,
            changed_by=BOB,
        )
    ]
    converted = then(chat, events)
    assert converted.type is ChatType(new_type)
    assert converted.status is new_status
    assert converted.title == "Fix login"


@pytest.mark.parametrize(("target", "status"), [("task", Status.TO_DO), ("BUG", Status.NEW)])
def test_discussion_converts_to_the_target_default_with_a_given_title(
    target: str, status: Status
) -> None:
    chat = make_chat("discussion", title="")
    events = convert(chat, target, "  Fix Safari login ", actor_id=ALICE, now=T1)
    assert events == [
        ChatTypeChanged(
            old_type=ChatType.DISCUSSION,
            new_type=ChatType(target.lower()),
            title="Fix Safari login",
            old_status=None,
            new_status=status,
            changed_by=ALICE,
        )
    ]
    converted = then(chat, events)
    assert converted.title == "Fix Safari login"
    assert converted.status is status
    assert converted.is_typed


def test_discussion_keeps_its_existing_title() -> None:
    chat = make_chat("discussion", "Lunch")
    assert then(chat, convert(chat, "epic", actor_id=ALICE, now=T1)).title == "Lunch"


@pytest.mark.parametrize("title", [None, "   "])
def test_untitled_discussion_needs_a_title(title: str | None) -> None:
    with pytest.raises(ValidationFailed) as failure:
        convert(make_chat("discussion", ""), "task", title, actor_id=ALICE, now=T1)
    assert field_names(failure) == ["title"]


def test_given_title_follows_the_title_rules() -> None:
    with pytest.raises(ValidationFailed) as failure:
        convert(make_chat("task"), "bug", "x" * 201, actor_id=ALICE, now=T1)
    assert field_names(failure) == ["title"]


@pytest.mark.parametrize("target", ["discussion", "story", ""])
def test_target_must_be_a_work_item_type(target: str) -> None:
    with pytest.raises(ValidationFailed) as failure:
        convert(make_chat("task"), target, actor_id=ALICE, now=T1)
    assert field_names(failure) == ["type"]


def test_bad_type_and_bad_title_are_reported_together() -> None:
    with pytest.raises(ValidationFailed) as failure:
        convert(make_chat("discussion", ""), "discussion", actor_id=ALICE, now=T1)
    assert field_names(failure) == ["type", "title"]


@pytest.mark.parametrize("chat_type", ["task", "bug", "epic"])
def test_converting_to_the_same_type_is_already_this_type(chat_type: str) -> None:
    with pytest.raises(DomainError) as failure:
        convert(make_chat(chat_type), chat_type.upper(), "New title", actor_id=ALICE, now=T1)
    assert failure.value.code is ErrorCode.ALREADY_THIS_TYPE


def test_leaving_bug_clears_severity_first() -> None:
    chat = make_chat("bug")
    chat = then(chat, set_severity(chat, "Major", actor_id=ALICE, now=T1))
    events = convert(chat, "task", actor_id=ALICE, now=T1)
    assert events[0] == ChatSeveritySet(
        old_severity=Severity.MAJOR, new_severity=None, changed_by=ALICE
    )
    assert isinstance(events[1], ChatTypeChanged)
    assert then(chat, events).severity is None


def test_bug_without_severity_converts_with_one_event() -> None:
    assert len(convert(make_chat("bug"), "epic", actor_id=ALICE, now=T1)) == 1


def test_closed_item_stays_closed_and_its_previous_status_is_mapped() -> None:
    chat = make_chat("bug", status="Investigating")
    chat = closed(chat)
    events = convert(chat, "task", actor_id=ALICE, now=T1)
    assert events == [
        ChatTypeChanged(
            old_type=ChatType.BUG,
            new_type=ChatType.TASK,
            old_status=CLOSED,
            new_status=CLOSED,
            changed_by=ALICE,
        )
    ]
    converted = then(chat, events)
    assert converted.status is CLOSED
    assert converted.previous_status is Status.IN_PROGRESS
    reopened = then(converted, reopen(converted, actor_id=ALICE, now=T1))
    assert reopened.status is Status.IN_PROGRESS


def test_closed_fixed_bug_converted_to_task_reopens_in_the_task_default() -> None:
    chat = closed(make_chat("bug", status="Fixed"))
    converted = then(chat, convert(chat, "task", actor_id=ALICE, now=T1))
    assert converted.previous_status is Status.TO_DO


# --- close and reopen -----------------------------------------------------------------------


def test_close_records_the_previous_status_and_reopen_restores_it() -> None:
    chat = make_chat("epic", status="In Progress")
    events = close(chat, actor_id=BOB, now=T1)
    assert events == [ChatClosed(closed_by=BOB, previous_status=Status.IN_PROGRESS, closed_at=T1)]
    chat = then(chat, events)
    assert chat.is_closed
    assert chat.category == "done"
    reopened = reopen(chat, actor_id=BOB, now=T1)
    assert reopened == [
        ChatReopened(reopened_by=BOB, new_status=Status.IN_PROGRESS, reopened_at=T1)
    ]
    chat = then(chat, reopened)
    assert chat.status is Status.IN_PROGRESS
    assert chat.previous_status is None


def test_reopen_without_a_previous_status_takes_the_type_default() -> None:
    chat = replace(closed(make_chat("bug", status="Fixed")), previous_status=None)
    assert reopen(chat, actor_id=ALICE, now=T1)[0] == ChatReopened(
        reopened_by=ALICE, new_status=Status.NEW, reopened_at=T1
    )


def test_closing_twice_is_already_closed() -> None:
    with pytest.raises(DomainError) as failure:
        close(closed(make_chat()), actor_id=ALICE, now=T1)
    assert failure.value.code is ErrorCode.CHAT_ALREADY_CLOSED


def test_reopening_an_open_item_is_not_closed() -> None:
    with pytest.raises(DomainError) as failure:
        reopen(make_chat(), actor_id=ALICE, now=T1)
    assert failure.value.code is ErrorCode.CHAT_NOT_CLOSED


def test_reopen_after_status_change_on_closed_item_is_not_closed() -> None:
    chat = closed(make_chat())
    chat = then(chat, change_status(chat, "Done", actor_id=ALICE, now=T1))
    with pytest.raises(DomainError) as failure:
        reopen(chat, actor_id=ALICE, now=T1)
    assert failure.value.code is ErrorCode.CHAT_NOT_CLOSED


# --- delete ---------------------------------------------------------------------------------


def test_delete_is_soft_and_only_once() -> None:
    chat = make_chat("discussion", "Lunch")
    events = delete(chat, actor_id=BOB, now=T1)
    assert events == [ChatDeleted(deleted_by=BOB, deleted_at=T1)]
    chat = then(chat, events)
    assert chat.is_deleted
    assert chat.deleted_by == BOB
    assert chat.title == "Lunch"
    with pytest.raises(DomainError) as failure:
        delete(chat, actor_id=BOB, now=T1)
    assert failure.value.code is ErrorCode.CHAT_NOT_FOUND
