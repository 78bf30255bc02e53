"""Single-field chat commands (domain.md §3 operations): rename, description, status,
priority, severity, assignee and due date.

Checks run in the order of tags.md E8: deleted chat → not a work item → severity on a non-bug →
value validity → referenced users; the first failure wins.
"""

from collections.abc import Container
from datetime import datetime

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
from flowra_core.domain.chat.rules import ensure_exists, ensure_live_work_item
from flowra_core.domain.chat.state import Chat
from flowra_core.domain.events import DomainEvent


def rename(chat: Chat, title: str, *, actor_id: str, now: datetime) -> list[DomainEvent]:
    """Title rules of the current type; the same title is a no-op."""
    ensure_exists(chat)
    return rename_events(chat, title_input(title, required=chat.is_typed), actor_id)


def set_description(
    chat: Chat, description: str, *, actor_id: str, now: datetime
) -> list[DomainEvent]:
    """Empty or whitespace-only clears the description."""
    ensure_live_work_item(chat)
    return description_events(chat, description_input(description), actor_id)


def change_status(chat: Chat, status: str, *, actor_id: str, now: datetime) -> list[DomainEvent]:
    """Any status of the type; on a closed item this leaves the closed state."""
    ensure_live_work_item(chat)
    return status_events(chat, status_input(chat.type, status), actor_id)


def set_priority(
    chat: Chat, priority: str | None, *, actor_id: str, now: datetime
) -> list[DomainEvent]:
    """None clears the priority."""
    ensure_live_work_item(chat)
    return priority_events(chat, priority_input(priority), actor_id)


def set_severity(
    chat: Chat, severity: str | None, *, actor_id: str, now: datetime
) -> list[DomainEvent]:
    """Bugs only; None clears the severity."""
    ensure_live_work_item(chat)
    return severity_events(chat, severity_input(chat.type, severity), actor_id)


def assign(
    chat: Chat, assignee_id: str, *, members: Container[str], actor_id: str, now: datetime
) -> list[DomainEvent]:
    """`members` holds the workspace member ids; a non-participant assignee joins as member."""
    ensure_live_work_item(chat)
    assignee = workspace_member_input(assignee_id, members, field="assignee_id")
    return assignee_events(chat, assignee, actor_id, now)


def unassign(chat: Chat, *, actor_id: str, now: datetime) -> list[DomainEvent]:
    ensure_live_work_item(chat)
    return assignee_events(chat, None, actor_id, now)


def set_due_date(chat: Chat, due_date: str, *, actor_id: str, now: datetime) -> list[DomainEvent]:
    ensure_live_work_item(chat)
    return due_date_events(chat, due_date_input(due_date), actor_id)


def remove_due_date(chat: Chat, *, actor_id: str, now: datetime) -> list[DomainEvent]:
    ensure_live_work_item(chat)
    return due_date_events(chat, None, actor_id)
