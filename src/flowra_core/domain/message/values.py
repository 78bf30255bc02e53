"""Message value types and limits shared by state, events and commands (domain.md §4)."""

from enum import StrEnum
from typing import Final

import msgspec

CONTENT_MAX_CHARS: Final = 10_000
ATTACHMENTS_MAX: Final = 10
EMOJI_MAX_CHARS: Final = 32


class MessageType(StrEnum):
    USER = "user"
    SYSTEM = "system"
    BOT = "bot"


class MessageAttachment(msgspec.Struct, frozen=True, kw_only=True):
    """A file attached to a message; the same shape in `message.created` and in the state."""

    file_id: str
    file_name: str
    file_size: int
    mime_type: str


class UploadedFile(msgspec.Struct, frozen=True, kw_only=True):
    """What the caller knows about an uploaded file named in `attachment_ids`.

    `message_id` is the message the file is already attached to, if any.
    """

    id: str
    chat_id: str
    uploaded_by: str
    file_name: str
    file_size: int
    mime_type: str
    message_id: str | None = None

    def as_attachment(self) -> MessageAttachment:
        return MessageAttachment(
            file_id=self.id,
            file_name=self.file_name,
            file_size=self.file_size,
            mime_type=self.mime_type,
        )
