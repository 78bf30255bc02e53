"""Bot reply text (tags.md §5) and the ✅ texts of the tag catalogue (tags.md §3).

A reply line is `✅ <text>` (applied or unchanged) or `❌ #<name>: <reason>`; the reply is the
lines in command order joined with `\\n`. Texts here never carry the mark: wrap them with
`applied_line`. Usernames are passed as stored, without `@`.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from flowra_core.domain.datetimes import format_due_date

APPLIED_MARK = "✅"
FAILED_MARK = "❌"
QUOTED_VALUE_MAX_CHARS = 50

_T = TypeVar("_T")


class TagFailureCode(StrEnum):
    UNKNOWN_TAG = "UNKNOWN_TAG"
    TOO_MANY_TAGS = "TOO_MANY_TAGS"
    VALUE_REQUIRED = "VALUE_REQUIRED"
    VALUE_NOT_ALLOWED = "VALUE_NOT_ALLOWED"
    INVALID_STATUS = "INVALID_STATUS"
    INVALID_PRIORITY = "INVALID_PRIORITY"
    INVALID_SEVERITY = "INVALID_SEVERITY"
    SEVERITY_BUG_ONLY = "SEVERITY_BUG_ONLY"
    NOT_A_WORK_ITEM = "NOT_A_WORK_ITEM"
    INVALID_DATE = "INVALID_DATE"
    INVALID_USERNAME = "INVALID_USERNAME"
    USER_NOT_FOUND = "USER_NOT_FOUND"
    ALREADY_PARTICIPANT = "ALREADY_PARTICIPANT"
    NOT_PARTICIPANT = "NOT_PARTICIPANT"
    LAST_CHAT_ADMIN = "LAST_CHAT_ADMIN"
    TITLE_TOO_LONG = "TITLE_TOO_LONG"
    DESCRIPTION_TOO_LONG = "DESCRIPTION_TOO_LONG"
    ALREADY_THIS_TYPE = "ALREADY_THIS_TYPE"
    ALREADY_CLOSED = "ALREADY_CLOSED"
    NOT_CLOSED = "NOT_CLOSED"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    CHAT_DELETED = "CHAT_DELETED"
    INTERNAL_ERROR = "INTERNAL_ERROR"


_Code = TagFailureCode

# Reasons that need no value, chat type or status list.
_FIXED_REASONS: Mapping[TagFailureCode, str] = MappingProxyType(
    {
        _Code.UNKNOWN_TAG: "unknown tag",
        _Code.TOO_MANY_TAGS: "too many tags in one message (max 20)",
        _Code.VALUE_REQUIRED: "a value is required",
        _Code.VALUE_NOT_ALLOWED: "this tag takes no value",
        _Code.SEVERITY_BUG_ONLY: "only bugs have a severity",
        _Code.NOT_A_WORK_ITEM: "this chat is not a work item; start one with #task, #bug or #epic",
        _Code.TITLE_TOO_LONG: "the title is longer than 200 characters",
        _Code.DESCRIPTION_TOO_LONG: "the description is longer than 5000 characters",
        _Code.FORBIDDEN: "you are not allowed to do this in this chat",
        _Code.CONFLICT: "the chat was changed at the same time; please try again",
        _Code.CHAT_DELETED: "the chat has been deleted",
        _Code.INTERNAL_ERROR: "unexpected error; this tag was not applied",
    }
)

# Reasons that quote the value (`<v>`).
_VALUE_REASONS: Mapping[TagFailureCode, str] = MappingProxyType(
    {
        _Code.INVALID_PRIORITY: "'{v}' is not a priority. Allowed: Low, Medium, High, Critical",
        _Code.INVALID_SEVERITY: "'{v}' is not a severity. Allowed: Minor, Major, Critical, Blocker",
        _Code.INVALID_DATE: (
            "'{v}' is not a valid date; use YYYY-MM-DD, YYYY-MM-DDTHH:MM or RFC 3339"
        ),
    }
)

# Reasons that quote a username (`@<v>`, the value without its `@`).
_USERNAME_REASONS: Mapping[TagFailureCode, str] = MappingProxyType(
    {
        _Code.USER_NOT_FOUND: "@{v} is not a member of this workspace",
        _Code.ALREADY_PARTICIPANT: "@{v} is already in this chat",
        _Code.NOT_PARTICIPANT: "@{v} is not in this chat",
        _Code.LAST_CHAT_ADMIN: "@{v} is the last admin of this chat",
    }
)

# Reasons that name the chat type (`<type>`).
_TYPE_REASONS: Mapping[TagFailureCode, str] = MappingProxyType(
    {
        _Code.ALREADY_THIS_TYPE: "this chat is already a {type}",
        _Code.ALREADY_CLOSED: "this {type} is already closed",
        _Code.NOT_CLOSED: "this {type} is not closed",
    }
)


def quote_value(value: str) -> str:
    """`<v>`: the value as written, cut to 50 characters plus `…` when longer."""
    if len(value) > QUOTED_VALUE_MAX_CHARS:
        return value[:QUOTED_VALUE_MAX_CHARS] + "…"
    return value


def failure_reason(
    tag_name: str,
    code: TagFailureCode,
    *,
    value: str | None = None,
    chat_type: str | None = None,
    allowed_statuses: Sequence[str] | None = None,
) -> str:
    """The exact reason text of tags.md §5; raises ValueError when a needed input is missing.

    `value` is needed for INVALID_* and user codes, `chat_type` for INVALID_STATUS and the
    state codes (the target type for ALREADY_THIS_TYPE), `allowed_statuses` for INVALID_STATUS.
    """
    if code in _FIXED_REASONS:
        return _FIXED_REASONS[code]
    if code is TagFailureCode.INVALID_USERNAME:
        # #assignee also accepts @none (unassign), so its hint says so.
        return "expected @username or @none" if tag_name == "assignee" else "expected @username"
    if code in _VALUE_REASONS:
        return _VALUE_REASONS[code].format(v=quote_value(_required(value, "value", code)))
    if code in _USERNAME_REASONS:
        username = _required(value, "value", code).removeprefix("@")
        return _USERNAME_REASONS[code].format(v=quote_value(username))
    if code in _TYPE_REASONS:
        return _TYPE_REASONS[code].format(type=_required(chat_type, "chat_type", code))
    if code is TagFailureCode.INVALID_STATUS:
        quoted = quote_value(_required(value, "value", code))
        type_name = _required(chat_type, "chat_type", code)
        statuses = _required(allowed_statuses, "allowed_statuses", code)
        return f"'{quoted}' is not a status of a {type_name}. Allowed: {', '.join(statuses)}"
    raise ValueError(f"no reason text for {code!r}")  # unreachable while the tables are complete


def failure_line(
    tag_name: str,
    code: TagFailureCode,
    *,
    value: str | None = None,
    chat_type: str | None = None,
    allowed_statuses: Sequence[str] | None = None,
) -> str:
    """`❌ #<name>: <reason>`; `tag_name` is the name as written (without `#`)."""
    reason = failure_reason(
        tag_name, code, value=value, chat_type=chat_type, allowed_statuses=allowed_statuses
    )
    return f"{FAILED_MARK} #{tag_name}: {reason}"


def _required(given: _T | None, what: str, code: TagFailureCode) -> _T:
    if given is None:
        raise ValueError(f"{code} needs {what}")
    return given


def applied_line(text: str) -> str:
    """`✅ <text>` for an applied or unchanged tag."""
    return f"{APPLIED_MARK} {text}"


def join_reply(lines: Iterable[str]) -> str:
    """The bot reply content: one line per tag in command order."""
    return "\n".join(lines)


# ✅ texts per tag (tags.md §3), without the mark.

ASSIGNEE_REMOVED_TEXT = "Assignee removed"
DUE_DATE_REMOVED_TEXT = "Due date removed"
DESCRIPTION_UPDATED_TEXT = "Description updated"
DESCRIPTION_CLEARED_TEXT = "Description cleared"
CLOSED_TEXT = "Closed"
CHAT_DELETED_TEXT = "Chat deleted"


def converted_text(chat_type: str, title: str) -> str:
    return f"Converted to {chat_type}: {title}"


def status_changed_text(status: str) -> str:
    return f"Status changed to {status}"


def assigned_text(username: str) -> str:
    return f"Assigned to @{username}"


def priority_set_text(priority: str) -> str:
    return f"Priority set to {priority}"


def due_date_set_text(due: datetime) -> str:
    return f"Due date set to {format_due_date(due)}"


def title_changed_text(title: str) -> str:
    return f"Title changed to: {title}"


def severity_set_text(severity: str) -> str:
    return f"Severity set to {severity}"


def participant_added_text(username: str) -> str:
    return f"@{username} added to the chat"


def participant_removed_text(username: str) -> str:
    return f"@{username} removed from the chat"


def reopened_text(status: str) -> str:
    return f"Reopened with status {status}"


class UnchangedField(StrEnum):
    STATUS = "Status"
    PRIORITY = "Priority"
    SEVERITY = "Severity"
    ASSIGNEE = "Assignee"
    DUE_DATE = "Due date"
    TITLE = "Title"
    DESCRIPTION = "Description"


def unchanged_text(field: UnchangedField, current: str | datetime | None = None) -> str:
    """`<Field> unchanged: <value>` (`none` when empty); Description never shows its value.

    A datetime (the due date) is shown as `<D>`; pass the assignee as the caller wants it shown.
    """
    if field is UnchangedField.DESCRIPTION:
        return "Description unchanged"
    if isinstance(current, datetime):
        return f"{field} unchanged: {format_due_date(current)}"
    return f"{field} unchanged: {current or 'none'}"
