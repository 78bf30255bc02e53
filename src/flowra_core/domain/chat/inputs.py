"""Field inputs of the chat commands: each parser returns the canonical value or raises
`ValidationFailed` on the field as the HTTP API names it."""

from collections.abc import Callable, Container
from datetime import datetime
from typing import Final, TypeVar

from flowra_core.domain.chat.vocabulary import (
    ChatType,
    ParticipantRole,
    Priority,
    Severity,
    Status,
    parse_chat_type,
    parse_priority,
    parse_role,
    parse_severity,
    parse_status,
)
from flowra_core.domain.datetimes import parse_due_date
from flowra_core.domain.errors import ValidationFailed

TITLE_MAX_CHARS: Final = 200
DESCRIPTION_MAX_CHARS: Final = 5000

_T = TypeVar("_T")


def _on_field(field: str, parse: Callable[[str], _T], text: str) -> _T:
    try:
        return parse(text)
    except ValueError as error:
        raise ValidationFailed.single(field, str(error)) from error


def title_input(text: str, *, required: bool) -> str:
    """Trimmed, at most 200 characters; work items need one, a discussion may be untitled."""
    title = text.strip()
    if required and not title:
        raise ValidationFailed.single("title", "A work item needs a title")
    if len(title) > TITLE_MAX_CHARS:
        raise ValidationFailed.single(
            "title", f"The title is longer than {TITLE_MAX_CHARS} characters"
        )
    return title


def description_input(text: str) -> str:
    """Kept verbatim except that whitespace-only becomes empty; at most 5000 characters."""
    description = "" if text.strip() == "" else text
    if len(description) > DESCRIPTION_MAX_CHARS:
        raise ValidationFailed.single(
            "description", f"The description is longer than {DESCRIPTION_MAX_CHARS} characters"
        )
    return description


def type_input(text: str) -> ChatType:
    return _on_field("type", parse_chat_type, text)


def status_input(chat_type: ChatType, text: str) -> Status:
    return _on_field("status", lambda value: parse_status(chat_type, value), text)


def priority_input(text: str | None) -> Priority | None:
    return None if text is None else _on_field("priority", parse_priority, text)


def severity_input(chat_type: ChatType, text: str | None) -> Severity | None:
    """Bugs only, even to clear it."""
    if chat_type is not ChatType.BUG:
        raise ValidationFailed.single("severity", "Only bugs have a severity")
    return None if text is None else _on_field("severity", parse_severity, text)


def role_input(text: str) -> ParticipantRole:
    return _on_field("role", parse_role, text)


def due_date_input(text: str | None) -> datetime | None:
    """As the user wrote it: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` or RFC 3339; no offset = UTC."""
    if text is None:
        return None
    try:
        return parse_due_date(text)
    except ValueError as error:
        raise ValidationFailed.single(
            "due_date",
            f"'{text}' is not a valid date; use YYYY-MM-DD, YYYY-MM-DDTHH:MM or RFC 3339",
        ) from error


def workspace_member_input(user_id: str, members: Container[str], *, field: str) -> str:
    """`members` holds the workspace member ids (a set, or any container that can tell)."""
    if user_id not in members:
        raise ValidationFailed.single(field, f"User {user_id} is not a member of this workspace")
    return user_id
