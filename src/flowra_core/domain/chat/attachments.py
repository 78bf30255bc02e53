"""Work-item attachments: files uploaded to the chat, at most 50 per chat.

Whether the file was uploaded to this chat is checked by the caller, which owns the file
records; these commands take the file's metadata as found there.
"""

from datetime import datetime
from typing import Final

from flowra_core.domain.chat.events import ChatAttachmentAdded, ChatAttachmentRemoved
from flowra_core.domain.chat.rules import ensure_live_work_item
from flowra_core.domain.chat.state import Chat
from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.events import DomainEvent

ATTACHMENTS_MAX: Final = 50


def add_attachment(
    chat: Chat,
    *,
    file_id: str,
    file_name: str,
    file_size: int,
    mime_type: str,
    actor_id: str,
    now: datetime,
) -> list[DomainEvent]:
    """Attaching an already attached file is a no-op."""
    ensure_live_work_item(chat)
    if chat.attachment(file_id) is not None:
        return []
    if len(chat.attachments) >= ATTACHMENTS_MAX:
        raise ValidationFailed.single(
            "file_id", f"A work item holds at most {ATTACHMENTS_MAX} attachments"
        )
    return [
        ChatAttachmentAdded(
            file_id=file_id,
            file_name=file_name,
            file_size=file_size,
            mime_type=mime_type,
            added_by=actor_id,
        )
    ]


def remove_attachment(
    chat: Chat, file_id: str, *, actor_id: str, now: datetime
) -> list[DomainEvent]:
    ensure_live_work_item(chat)
    if chat.attachment(file_id) is None:
        raise DomainError(
            ErrorCode.ATTACHMENT_NOT_FOUND, f"File {file_id} is not attached to this chat"
        )
    return [ChatAttachmentRemoved(file_id=file_id, removed_by=actor_id)]
