"""Chat vocabularies: canonical spellings, status sets and categories, conversion mapping."""

from collections.abc import Callable

import pytest

from flowra_core.domain.chat import (
    CLOSED,
    STATUSES,
    ChatType,
    ParticipantRole,
    Priority,
    Severity,
    Status,
    StatusCategory,
    category_of,
    default_status,
    first_status_in_category,
    map_status_for_conversion,
    parse_category,
    parse_chat_type,
    parse_priority,
    parse_role,
    parse_severity,
    parse_status,
)

D, T, B, E = ChatType.DISCUSSION, ChatType.TASK, ChatType.BUG, ChatType.EPIC


@pytest.mark.parametrize(("chat_type", "typed"), [(D, False), (T, True), (B, True), (E, True)])
def test_only_discussion_is_untyped(chat_type: ChatType, typed: bool) -> None:
    assert chat_type.is_typed is typed


def test_status_sets_in_board_order_with_defaults() -> None:
    assert [s.value for s in STATUSES[T]] == ["To Do", "In Progress", "Done"]
    assert [s.value for s in STATUSES[B]] == ["New", "Investigating", "Fixed", "Verified"]
    assert [s.value for s in STATUSES[E]] == ["Planned", "In Progress", "Completed"]
    assert STATUSES[D] == ()
    assert [default_status(t) for t in (T, B, E)] == ["To Do", "New", "Planned"]


def test_discussion_has_no_default_status() -> None:
    with pytest.raises(ValueError, match="a discussion has no status"):
        default_status(D)


@pytest.mark.parametrize(
    ("status", "category"),
    [
        (Status.TO_DO, "todo"),
        (Status.IN_PROGRESS, "in_progress"),
        (Status.DONE, "done"),
        (Status.NEW, "todo"),
        (Status.INVESTIGATING, "in_progress"),
        (Status.FIXED, "review"),
        (Status.VERIFIED, "done"),
        (Status.PLANNED, "todo"),
        (Status.COMPLETED, "done"),
        (CLOSED, "done"),
    ],
)
def test_category_of_every_status(status: Status, category: str) -> None:
    assert category_of(status) == category


def test_board_titles_in_column_order() -> None:
    assert [c.board_title for c in StatusCategory] == ["To Do", "In Progress", "Review", "Done"]


@pytest.mark.parametrize(
    ("chat_type", "text", "canonical"),
    [
        (T, "in progress", "In Progress"),
        (T, "  TO DO ", "To Do"),
        (B, "fixed", "Fixed"),
        (E, "COMPLETED", "Completed"),
    ],
)
def test_status_input_is_case_insensitive_and_trimmed(
    chat_type: ChatType, text: str, canonical: str
) -> None:
    assert parse_status(chat_type, text) == canonical


@pytest.mark.parametrize(
    ("chat_type", "text", "message"),
    [
        (T, "Closed", "'Closed' is not a status of a task. Allowed: To Do, In Progress, Done"),
        (T, "Completed", "'Completed' is not a status of a task. Allowed: To Do, In Progress"),
        (B, "Done", "'Done' is not a status of a bug. Allowed: New, Investigating, Fixed"),
        (E, "To Do", "'To Do' is not a status of a epic. Allowed: Planned, In Progress"),
        (D, "To Do", "a discussion has no status"),
    ],
)
def test_status_input_refuses_closed_and_other_types(
    chat_type: ChatType, text: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_status(chat_type, text)


def test_enum_inputs_are_canonicalised() -> None:
    assert parse_priority(" critical ") is Priority.CRITICAL
    assert parse_severity("BLOCKER") is Severity.BLOCKER
    assert parse_role("Admin") is ParticipantRole.ADMIN
    assert parse_chat_type("Bug") is ChatType.BUG
    assert parse_category("IN_PROGRESS") is StatusCategory.IN_PROGRESS


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (
            parse_priority,
            "urgent",
            "'urgent' is not a priority. Allowed: Low, Medium, High, Critical",
        ),
        (
            parse_severity,
            "low",
            "'low' is not a severity. Allowed: Minor, Major, Critical, Blocker",
        ),
        (parse_role, "owner", "'owner' is not a participant role. Allowed: admin, member"),
        (parse_chat_type, "story", "'story' is not a chat type"),
        (parse_category, "backlog", "'backlog' is not a status category"),
    ],
)
def test_unknown_enum_inputs_name_the_allowed_values(
    parse: Callable[[str], object], text: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse(text)


def test_priorities_and_severities_rank_in_order() -> None:
    assert [p.rank for p in Priority] == [1, 2, 3, 4]
    assert sorted([Priority.CRITICAL, Priority.LOW, Priority.HIGH], key=lambda p: p.rank) == [
        Priority.LOW,
        Priority.HIGH,
        Priority.CRITICAL,
    ]
    assert [s.rank for s in Severity] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("chat_type", "category", "status"),
    [
        (T, StatusCategory.TODO, Status.TO_DO),
        (T, StatusCategory.REVIEW, None),
        (B, StatusCategory.REVIEW, Status.FIXED),
        (B, StatusCategory.DONE, Status.VERIFIED),
        (E, StatusCategory.IN_PROGRESS, Status.IN_PROGRESS),
        (E, StatusCategory.REVIEW, None),
        (D, StatusCategory.TODO, None),
    ],
)
def test_first_status_in_category(
    chat_type: ChatType, category: StatusCategory, status: Status | None
) -> None:
    assert first_status_in_category(chat_type, category) is status


@pytest.mark.parametrize(
    ("old_type", "new_type", "status", "mapped"),
    [
        (T, B, Status.TO_DO, Status.NEW),
        (T, B, Status.IN_PROGRESS, Status.INVESTIGATING),
        (T, B, Status.DONE, Status.VERIFIED),
        (T, E, Status.IN_PROGRESS, Status.IN_PROGRESS),
        (B, T, Status.FIXED, Status.TO_DO),
        (B, E, Status.FIXED, Status.PLANNED),
        (B, T, Status.VERIFIED, Status.DONE),
        (B, E, Status.INVESTIGATING, Status.IN_PROGRESS),
        (E, T, Status.COMPLETED, Status.DONE),
        (E, B, Status.PLANNED, Status.NEW),
        (D, T, None, Status.TO_DO),
        (D, B, None, Status.NEW),
        (D, E, None, Status.PLANNED),
    ],
)
def test_conversion_keeps_the_category_else_takes_the_default(
    old_type: ChatType, new_type: ChatType, status: Status | None, mapped: Status
) -> None:
    assert map_status_for_conversion(old_type, new_type, status) is mapped
