from datetime import UTC, datetime

import pytest

from flowra_core.domain.tags.replies import (
    ASSIGNEE_REMOVED_TEXT,
    CHAT_DELETED_TEXT,
    CLOSED_TEXT,
    DESCRIPTION_CLEARED_TEXT,
    DESCRIPTION_UPDATED_TEXT,
    DUE_DATE_REMOVED_TEXT,
    TagFailureCode,
    UnchangedField,
    applied_line,
    assigned_text,
    converted_text,
    due_date_set_text,
    failure_line,
    failure_reason,
    join_reply,
    participant_added_text,
    participant_removed_text,
    priority_set_text,
    quote_value,
    reopened_text,
    severity_set_text,
    status_changed_text,
    title_changed_text,
    unchanged_text,
)

Code = TagFailureCode
TASK_STATUSES = ("To Do", "In Progress", "Done")

# (tag, code, value, chat_type, expected line) — every row of the tags.md §5 table.
FAILURE_LINES: list[tuple[str, TagFailureCode, str | None, str | None, str]] = [
    ("foo", Code.UNKNOWN_TAG, "bar", None, "❌ #foo: unknown tag"),
    ("close", Code.TOO_MANY_TAGS, None, None, "❌ #close: too many tags in one message (max 20)"),
    ("status", Code.VALUE_REQUIRED, "", None, "❌ #status: a value is required"),
    ("close", Code.VALUE_NOT_ALLOWED, "foo", None, "❌ #close: this tag takes no value"),
    (
        "priority",
        Code.INVALID_PRIORITY,
        "urgent",
        None,
        "❌ #priority: 'urgent' is not a priority. Allowed: Low, Medium, High, Critical",
    ),
    (
        "severity",
        Code.INVALID_SEVERITY,
        "huge",
        None,
        "❌ #severity: 'huge' is not a severity. Allowed: Minor, Major, Critical, Blocker",
    ),
    (
        "severity",
        Code.SEVERITY_BUG_ONLY,
        "Major",
        "task",
        "❌ #severity: only bugs have a severity",
    ),
    (
        "status",
        Code.NOT_A_WORK_ITEM,
        "Done",
        "discussion",
        "❌ #status: this chat is not a work item; start one with #task, #bug or #epic",
    ),
    (
        "due",
        Code.INVALID_DATE,
        "tomorrow",
        None,
        "❌ #due: 'tomorrow' is not a valid date; use YYYY-MM-DD, YYYY-MM-DDTHH:MM or RFC 3339",
    ),
    ("invite", Code.INVALID_USERNAME, "bob", None, "❌ #invite: expected @username"),
    ("remove", Code.INVALID_USERNAME, "bob", None, "❌ #remove: expected @username"),
    ("assignee", Code.INVALID_USERNAME, "bob", None, "❌ #assignee: expected @username or @none"),
    (
        "assignee",
        Code.USER_NOT_FOUND,
        "@carol",
        None,
        "❌ #assignee: @carol is not a member of this workspace",
    ),
    ("invite", Code.ALREADY_PARTICIPANT, "@bob", None, "❌ #invite: @bob is already in this chat"),
    ("remove", Code.NOT_PARTICIPANT, "@bob", None, "❌ #remove: @bob is not in this chat"),
    (
        "remove",
        Code.LAST_CHAT_ADMIN,
        "@Alice",
        None,
        "❌ #remove: @Alice is the last admin of this chat",
    ),
    (
        "title",
        Code.TITLE_TOO_LONG,
        "x" * 201,
        None,
        "❌ #title: the title is longer than 200 characters",
    ),
    (
        "description",
        Code.DESCRIPTION_TOO_LONG,
        "y" * 5001,
        None,
        "❌ #description: the description is longer than 5000 characters",
    ),
    ("bug", Code.ALREADY_THIS_TYPE, "Crash", "bug", "❌ #bug: this chat is already a bug"),
    ("close", Code.ALREADY_CLOSED, "", "task", "❌ #close: this task is already closed"),
    ("reopen", Code.NOT_CLOSED, "", "epic", "❌ #reopen: this epic is not closed"),
    ("delete", Code.FORBIDDEN, "", None, "❌ #delete: you are not allowed to do this in this chat"),
    (
        "status",
        Code.CONFLICT,
        "Done",
        None,
        "❌ #status: the chat was changed at the same time; please try again",
    ),
    ("priority", Code.CHAT_DELETED, "High", None, "❌ #priority: the chat has been deleted"),
    (
        "title",
        Code.INTERNAL_ERROR,
        "x",
        None,
        "❌ #title: unexpected error; this tag was not applied",
    ),
]


@pytest.mark.parametrize(("tag", "code", "value", "chat_type", "expected"), FAILURE_LINES)
def test_failure_lines(
    tag: str, code: TagFailureCode, value: str | None, chat_type: str | None, expected: str
) -> None:
    assert failure_line(tag, code, value=value, chat_type=chat_type) == expected


def test_every_code_is_covered() -> None:
    assert {row[1] for row in FAILURE_LINES} | {Code.INVALID_STATUS} == set(TagFailureCode)
    assert len(TagFailureCode) == 24
    assert all(code.value == code.name for code in TagFailureCode)


def test_invalid_status_lists_the_statuses_of_the_type() -> None:
    bug_statuses = ["New", "Investigating", "Fixed", "Verified"]
    line = failure_line(
        "status",
        Code.INVALID_STATUS,
        value="Closed",
        chat_type="bug",
        allowed_statuses=bug_statuses,
    )
    assert line == (
        "❌ #status: 'Closed' is not a status of a bug."
        " Allowed: New, Investigating, Fixed, Verified"
    )


def test_long_values_are_cut_to_50_chars() -> None:
    value = "a" * 50
    assert quote_value(value) == value
    assert quote_value(value + "b") == value + "…"
    line = failure_line("priority", Code.INVALID_PRIORITY, value="p" * 60)
    assert (
        line
        == f"❌ #priority: '{'p' * 50}…' is not a priority. Allowed: Low, Medium, High, Critical"
    )


def test_usernames_are_cut_after_dropping_the_at() -> None:
    username = "u" * 55
    line = failure_line("invite", Code.USER_NOT_FOUND, value="@" + username)
    assert line == f"❌ #invite: @{'u' * 50}… is not a member of this workspace"


@pytest.mark.parametrize(
    ("code", "value", "chat_type", "statuses"),
    [
        (Code.INVALID_PRIORITY, None, "task", TASK_STATUSES),
        (Code.USER_NOT_FOUND, None, "task", TASK_STATUSES),
        (Code.ALREADY_CLOSED, "x", None, TASK_STATUSES),
        (Code.INVALID_STATUS, "x", "task", None),
        (Code.INVALID_STATUS, "x", None, TASK_STATUSES),
    ],
)
def test_missing_inputs_are_programming_errors(
    code: TagFailureCode,
    value: str | None,
    chat_type: str | None,
    statuses: tuple[str, ...] | None,
) -> None:
    with pytest.raises(ValueError, match=str(code)):
        failure_reason("status", code, value=value, chat_type=chat_type, allowed_statuses=statuses)


# --- ✅ texts ---------------------------------------------------------------------------------

APPLIED_TEXTS: list[tuple[str, str]] = [
    (converted_text("task", "Fix Safari login"), "Converted to task: Fix Safari login"),
    (converted_text("bug", "Crash"), "Converted to bug: Crash"),
    (converted_text("epic", "Q3"), "Converted to epic: Q3"),
    (status_changed_text("In Progress"), "Status changed to In Progress"),
    (assigned_text("bob"), "Assigned to @bob"),
    (ASSIGNEE_REMOVED_TEXT, "Assignee removed"),
    (priority_set_text("High"), "Priority set to High"),
    (due_date_set_text(datetime(2026, 3, 1, tzinfo=UTC)), "Due date set to 2026-03-01"),
    (
        due_date_set_text(datetime(2026, 3, 1, 14, 30, tzinfo=UTC)),
        "Due date set to 2026-03-01 14:30 UTC",
    ),
    (DUE_DATE_REMOVED_TEXT, "Due date removed"),
    (title_changed_text("New name"), "Title changed to: New name"),
    (severity_set_text("Blocker"), "Severity set to Blocker"),
    (DESCRIPTION_UPDATED_TEXT, "Description updated"),
    (DESCRIPTION_CLEARED_TEXT, "Description cleared"),
    (participant_added_text("bob"), "@bob added to the chat"),
    (participant_removed_text("bob"), "@bob removed from the chat"),
    (CLOSED_TEXT, "Closed"),
    (reopened_text("In Progress"), "Reopened with status In Progress"),
    (CHAT_DELETED_TEXT, "Chat deleted"),
]


@pytest.mark.parametrize(("text", "expected"), APPLIED_TEXTS)
def test_applied_texts(text: str, expected: str) -> None:
    assert text == expected
    assert applied_line(text) == f"✅ {expected}"


@pytest.mark.parametrize(
    ("field", "current", "expected"),
    [
        (UnchangedField.STATUS, "Done", "Status unchanged: Done"),
        (UnchangedField.PRIORITY, None, "Priority unchanged: none"),
        (UnchangedField.SEVERITY, "", "Severity unchanged: none"),
        (UnchangedField.ASSIGNEE, "@bob", "Assignee unchanged: @bob"),
        (UnchangedField.ASSIGNEE, None, "Assignee unchanged: none"),
        (
            UnchangedField.DUE_DATE,
            datetime(2026, 3, 1, tzinfo=UTC),
            "Due date unchanged: 2026-03-01",
        ),
        (UnchangedField.DUE_DATE, None, "Due date unchanged: none"),
        (UnchangedField.TITLE, "Fix it", "Title unchanged: Fix it"),
        (UnchangedField.DESCRIPTION, "anything", "Description unchanged"),
        (UnchangedField.DESCRIPTION, None, "Description unchanged"),
    ],
)
def test_unchanged_texts(
    field: UnchangedField, current: str | datetime | None, expected: str
) -> None:
    assert applied_line(unchanged_text(field, current)) == f"✅ {expected}"


# --- tags.md §5 example replies ---------------------------------------------------------------


def test_example_reply_convert_and_set() -> None:
    reply = join_reply(
        [
            applied_line(converted_text("task", "Fix Safari login")),
            applied_line(priority_set_text("High")),
            applied_line(assigned_text("bob")),
            applied_line(due_date_set_text(datetime(2026, 3, 1, tzinfo=UTC))),
        ]
    )
    assert reply == (
        "✅ Converted to task: Fix Safari login\n"
        "✅ Priority set to High\n"
        "✅ Assigned to @bob\n"
        "✅ Due date set to 2026-03-01"
    )


def test_example_reply_mixed_failures() -> None:
    reply = join_reply(
        [
            failure_line(
                "status",
                Code.INVALID_STATUS,
                value="Completed",
                chat_type="task",
                allowed_statuses=TASK_STATUSES,
            ),
            failure_line("priority", Code.INVALID_PRIORITY, value="urgent"),
            applied_line(status_changed_text("In Progress")),
        ]
    )
    assert reply == (
        "❌ #status: 'Completed' is not a status of a task. Allowed: To Do, In Progress, Done\n"
        "❌ #priority: 'urgent' is not a priority. Allowed: Low, Medium, High, Critical\n"
        "✅ Status changed to In Progress"
    )


def test_example_reply_close_then_reopen() -> None:
    assert join_reply([applied_line(CLOSED_TEXT)]) == "✅ Closed"
    assert applied_line(reopened_text("In Progress")) == "✅ Reopened with status In Progress"


def test_join_reply_of_one_and_none() -> None:
    assert join_reply(["✅ Closed"]) == "✅ Closed"
    assert join_reply([]) == ""
