"""The events for setting one chat field to an already validated value; `[]` when the value
is the current one. Shared by the single-field commands and the PATCH-style update."""

from datetime import datetime

from flowra_core.domain.chat.events import (
    ChatAssigneeRemoved,
    ChatDescriptionSet,
    ChatDueDateRemoved,
    ChatDueDateSet,
    ChatParticipantAdded,
    ChatPrioritySet,
    ChatRenamed,
    ChatSeveritySet,
    ChatStatusChanged,
    ChatUserAssigned,
)
from flowra_core.domain.chat.state import Chat
from flowra_core.domain.chat.vocabulary import ParticipantRole, Priority, Severity, Status
from flowra_core.domain.events import DomainEvent


def rename_events(chat: Chat, title: str, actor_id: str) -> list[DomainEvent]:
    if title == chat.title:
        return []
    return [ChatRenamed(old_title=chat.title, new_title=title, renamed_by=actor_id)]


def description_events(chat: Chat, description: str, actor_id: str) -> list[DomainEvent]:
    if description == chat.description:
        return []
    return [ChatDescriptionSet(description=description, changed_by=actor_id)]


def status_events(chat: Chat, status: Status, actor_id: str) -> list[DomainEvent]:
    assert chat.status is not None, "only work items have a status"
    if status is chat.status:
        return []
    return [ChatStatusChanged(old_status=chat.status, new_status=status, changed_by=actor_id)]


def priority_events(chat: Chat, priority: Priority | None, actor_id: str) -> list[DomainEvent]:
    if priority is chat.priority:
        return []
    return [ChatPrioritySet(old_priority=chat.priority, new_priority=priority, changed_by=actor_id)]


def severity_events(chat: Chat, severity: Severity | None, actor_id: str) -> list[DomainEvent]:
    if severity is chat.severity:
        return []
    return [ChatSeveritySet(old_severity=chat.severity, new_severity=severity, changed_by=actor_id)]


def assignee_events(
    chat: Chat, assignee_id: str | None, actor_id: str, now: datetime
) -> list[DomainEvent]:
    """Assign (adding a non-participant as member first) or, for None, unassign."""
    if assignee_id == chat.assignee_id:
        return []
    if assignee_id is None:
        assert chat.assignee_id is not None
        return [ChatAssigneeRemoved(previous_assignee_id=chat.assignee_id, removed_by=actor_id)]
    events: list[DomainEvent] = []
    if not chat.is_participant(assignee_id):
        events.append(
            ChatParticipantAdded(
                user_id=assignee_id,
                role=ParticipantRole.MEMBER,
                added_by=actor_id,
                joined_at=now,
            )
        )
    events.append(
        ChatUserAssigned(
            assignee_id=assignee_id,
            previous_assignee_id=chat.assignee_id,
            assigned_by=actor_id,
        )
    )
    return events


def due_date_events(chat: Chat, due_date: datetime | None, actor_id: str) -> list[DomainEvent]:
    if due_date == chat.due_date:
        return []
    if due_date is None:
        assert chat.due_date is not None
        return [ChatDueDateRemoved(previous_due_date=chat.due_date, removed_by=actor_id)]
    return [ChatDueDateSet(old_due_date=chat.due_date, new_due_date=due_date, changed_by=actor_id)]
