"""`PATCH C`: several chat fields in one command (http-api.md "PATCH rules").

The whole change set is validated first (every bad field reported at once), then the events
are emitted in the spec's order: title, description, status, priority, severity, assignee,
due date. Fields equal to their current value are ignored.
"""

from collections.abc import Callable, Container
from datetime import datetime
from typing import Concatenate, ParamSpec, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from flowra_core.domain.chat.field_events import (
    assignee_events,
    description_events,
    due_date_events,
    priority_events,
    rename_events,
    severity_events,
    status_events,
)
from flowra_core.domain.chat.inputs import (
    description_input,
    due_date_input,
    priority_input,
    severity_input,
    status_input,
    title_input,
    workspace_member_input,
)
from flowra_core.domain.chat.rules import FieldErrors, ensure_exists, ensure_work_item
from flowra_core.domain.chat.state import Chat
from flowra_core.domain.chat.vocabulary import (
    ChatType,
    Status,
    first_status_in_category,
    parse_category,
)
from flowra_core.domain.errors import ValidationFailed
from flowra_core.domain.events import DomainEvent

_V = TypeVar("_V")
_T = TypeVar("_T")
_P = ParamSpec("_P")


class ChatChanges(msgspec.Struct, frozen=True, kw_only=True):
    """The PATCH body as given: UNSET = absent (unchanged), None = clear."""

    title: str | UnsetType = UNSET
    description: str | UnsetType = UNSET
    status: str | UnsetType = UNSET
    category: str | UnsetType = UNSET
    priority: str | UnsetType | None = UNSET
    severity: str | UnsetType | None = UNSET
    assignee_id: str | UnsetType | None = UNSET
    due_date: str | UnsetType | None = UNSET

    @property
    def touches_work_item_fields(self) -> bool:
        return any(
            value is not UNSET
            for value in (
                self.description,
                self.status,
                self.category,
                self.priority,
                self.severity,
                self.assignee_id,
                self.due_date,
            )
        )


def _status_of_category(chat_type: ChatType, text: str) -> Status:
    """The first status of the type in that category (never `Closed`)."""
    try:
        category = parse_category(text)
    except ValueError as error:
        raise ValidationFailed.single("category", str(error)) from error
    status = first_status_in_category(chat_type, category)
    if status is None:
        raise ValidationFailed.single("category", f"A {chat_type} has no {category} status")
    return status


def _target_status(chat_type: ChatType, changes: ChatChanges) -> Status | None:
    if changes.status is not UNSET and changes.category is not UNSET:
        raise ValidationFailed.single("category", "Give either status or category, not both")
    if changes.status is not UNSET:
        return status_input(chat_type, changes.status)
    if changes.category is not UNSET:
        return _status_of_category(chat_type, changes.category)
    return None


def _assignee(assignee_id: str | None, members: Container[str]) -> str | None:
    if assignee_id is None:
        return None
    return workspace_member_input(assignee_id, members, field="assignee_id")


def _given(
    errors: FieldErrors,
    value: _V | UnsetType,
    check: Callable[Concatenate[_V, _P], _T],
    *args: _P.args,
    **kwargs: _P.kwargs,
) -> _T | UnsetType | None:
    """UNSET for an absent field, else the check's result (None if it failed)."""
    if isinstance(value, UnsetType):
        return UNSET
    return errors.check(check, value, *args, **kwargs)


def update_work_item(
    chat: Chat,
    changes: ChatChanges,
    *,
    members: Container[str],
    actor_id: str,
    now: datetime,
) -> list[DomainEvent]:
    """Apply a PATCH. Only `title` may be given on a discussion; any other field is
    NOT_A_WORK_ITEM. `members` holds the workspace member ids (for `assignee_id`)."""
    ensure_exists(chat)
    if changes.touches_work_item_fields:
        ensure_work_item(chat)
    errors = FieldErrors()
    title = _given(errors, changes.title, title_input, required=chat.is_typed)
    description = _given(errors, changes.description, description_input)
    status = errors.check(_target_status, chat.type, changes)
    priority = _given(errors, changes.priority, priority_input)
    severity = _given(errors, changes.severity, lambda text: severity_input(chat.type, text))
    assignee_id = _given(errors, changes.assignee_id, _assignee, members)
    due_date = _given(errors, changes.due_date, due_date_input)
    errors.raise_if_any()

    # From here on a None result means "clear": every failed check has raised.
    events: list[DomainEvent] = []
    if isinstance(title, str):
        events += rename_events(chat, title, actor_id)
    if isinstance(description, str):
        events += description_events(chat, description, actor_id)
    if status is not None:
        events += status_events(chat, status, actor_id)
    if not isinstance(priority, UnsetType):
        events += priority_events(chat, priority, actor_id)
    if not isinstance(severity, UnsetType):
        events += severity_events(chat, severity, actor_id)
    if not isinstance(assignee_id, UnsetType):
        events += assignee_events(chat, assignee_id, actor_id, now)
    if not isinstance(due_date, UnsetType):
        events += due_date_events(chat, due_date, actor_id)
    return events
