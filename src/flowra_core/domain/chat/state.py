"""The chat aggregate state (domain.md §3), rebuilt from the chat's events by `evolve`.

Typed-only fields keep their empty values on a discussion. `last_message_at` is not here: it
follows message events and belongs to the chat read model.
"""

from datetime import datetime

import msgspec

from flowra_core.domain.chat.vocabulary import (
    CLOSED,
    ChatType,
    ParticipantRole,
    Priority,
    Severity,
    Status,
    StatusCategory,
    category_of,
)


class Participant(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str
    role: ParticipantRole
    joined_at: datetime


class ChatAttachment(msgspec.Struct, frozen=True, kw_only=True):
    file_id: str
    file_name: str
    file_size: int
    mime_type: str
    added_by: str
    added_at: datetime


class Chat(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    workspace_id: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    type: ChatType
    is_public: bool
    title: str
    participants: tuple[Participant, ...] = ()
    status: Status | None = None
    previous_status: Status | None = None
    priority: Priority | None = None
    assignee_id: str | None = None
    due_date: datetime | None = None
    severity: Severity | None = None
    description: str = ""
    attachments: tuple[ChatAttachment, ...] = ()
    deleted_at: datetime | None = None
    deleted_by: str | None = None
    version: int = 0

    @property
    def is_typed(self) -> bool:
        return self.type.is_typed

    @property
    def is_closed(self) -> bool:
        return self.status is CLOSED

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def category(self) -> StatusCategory | None:
        return None if self.status is None else category_of(self.status)

    def participant(self, user_id: str) -> Participant | None:
        return next((p for p in self.participants if p.user_id == user_id), None)

    def is_participant(self, user_id: str) -> bool:
        return self.participant(user_id) is not None

    def is_admin(self, user_id: str) -> bool:
        found = self.participant(user_id)
        return found is not None and found.role is ParticipantRole.ADMIN

    @property
    def admin_count(self) -> int:
        return sum(1 for p in self.participants if p.role is ParticipantRole.ADMIN)

    def attachment(self, file_id: str) -> ChatAttachment | None:
        return next((a for a in self.attachments if a.file_id == file_id), None)
