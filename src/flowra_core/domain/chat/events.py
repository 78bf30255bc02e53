"""The `chat.*` events of domain.md §6.2.

`ChatCreated.chat_type` is encoded as the catalogue's `type` field.
"""

from datetime import datetime
from typing import ClassVar

import msgspec

from flowra_core.domain.chat.vocabulary import (
    ChatType,
    ParticipantRole,
    Priority,
    Severity,
    Status,
)
from flowra_core.domain.events import AggregateType, DomainEvent


class ChatCreated(DomainEvent, frozen=True, kw_only=True, tag="chat.created"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    workspace_id: str
    chat_type: ChatType = msgspec.field(name="type")
    title: str
    description: str = ""
    is_public: bool
    created_by: str
    created_at: datetime
    status: Status | None = None
    priority: Priority | None = None
    severity: Severity | None = None
    assignee_id: str | None = None
    due_date: datetime | None = None


class ChatParticipantAdded(DomainEvent, frozen=True, kw_only=True, tag="chat.participant_added"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    user_id: str
    role: ParticipantRole
    added_by: str
    joined_at: datetime


class ChatParticipantRemoved(
    DomainEvent, frozen=True, kw_only=True, tag="chat.participant_removed"
):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    user_id: str
    removed_by: str


class ChatTypeChanged(DomainEvent, frozen=True, kw_only=True, tag="chat.type_changed"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    old_type: ChatType
    new_type: ChatType
    title: str | None = None
    old_status: Status | None = None
    new_status: Status
    changed_by: str


class ChatStatusChanged(DomainEvent, frozen=True, kw_only=True, tag="chat.status_changed"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    old_status: Status
    new_status: Status
    changed_by: str


class ChatUserAssigned(DomainEvent, frozen=True, kw_only=True, tag="chat.user_assigned"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    assignee_id: str
    previous_assignee_id: str | None = None
    assigned_by: str


class ChatAssigneeRemoved(DomainEvent, frozen=True, kw_only=True, tag="chat.assignee_removed"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    previous_assignee_id: str
    removed_by: str


class ChatPrioritySet(DomainEvent, frozen=True, kw_only=True, tag="chat.priority_set"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    old_priority: Priority | None = None
    new_priority: Priority | None = None
    changed_by: str


class ChatDueDateSet(DomainEvent, frozen=True, kw_only=True, tag="chat.due_date_set"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    old_due_date: datetime | None = None
    new_due_date: datetime
    changed_by: str


class ChatDueDateRemoved(DomainEvent, frozen=True, kw_only=True, tag="chat.due_date_removed"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    previous_due_date: datetime
    removed_by: str


class ChatAttachmentAdded(DomainEvent, frozen=True, kw_only=True, tag="chat.attachment_added"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    file_id: str
    file_name: str
    file_size: int
    mime_type: str
    added_by: str


class ChatAttachmentRemoved(DomainEvent, frozen=True, kw_only=True, tag="chat.attachment_removed"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    file_id: str
    removed_by: str


class ChatRenamed(DomainEvent, frozen=True, kw_only=True, tag="chat.renamed"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    old_title: str
    new_title: str
    renamed_by: str


class ChatSeveritySet(DomainEvent, frozen=True, kw_only=True, tag="chat.severity_set"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    old_severity: Severity | None = None
    new_severity: Severity | None = None
    changed_by: str


class ChatDescriptionSet(DomainEvent, frozen=True, kw_only=True, tag="chat.description_set"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    description: str
    changed_by: str


class ChatDeleted(DomainEvent, frozen=True, kw_only=True, tag="chat.deleted"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    deleted_by: str
    deleted_at: datetime


class ChatClosed(DomainEvent, frozen=True, kw_only=True, tag="chat.closed"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    closed_by: str
    previous_status: Status
    closed_at: datetime


class ChatReopened(DomainEvent, frozen=True, kw_only=True, tag="chat.reopened"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.CHAT
    reopened_by: str
    new_status: Status
    reopened_at: datetime


ChatEvent = (
    ChatCreated
    | ChatParticipantAdded
    | ChatParticipantRemoved
    | ChatTypeChanged
    | ChatStatusChanged
    | ChatUserAssigned
    | ChatAssigneeRemoved
    | ChatPrioritySet
    | ChatDueDateSet
    | ChatDueDateRemoved
    | ChatAttachmentAdded
    | ChatAttachmentRemoved
    | ChatRenamed
    | ChatSeveritySet
    | ChatDescriptionSet
    | ChatDeleted
    | ChatClosed
    | ChatReopened
)
"""The union of every chat event, for decoding a chat stream."""
