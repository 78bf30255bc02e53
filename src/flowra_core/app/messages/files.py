"""Uploads and downloads (http-api.md "Files"), and the file checks of attachments.

Files are not event-sourced: an upload stores its bytes, then its metadata document. Bytes
whose metadata never got stored are unreachable; uploads never attached are swept by the
worker's repair job after 24 h (operations.md §5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.app.chats.access import ChatAccess
from flowra_core.app.messages.file_rules import (
    is_allowed_type,
    resolve_mime_type,
    sanitize_file_name,
)
from flowra_core.app.messages.views import file_url
from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.message import ATTACHMENTS_MAX, UploadedFile
from flowra_core.ports.clock import Clock, IdGenerator
from flowra_core.ports.files import BlobStorage, FileRecord, FileStore
from flowra_core.ports.messages import MessageStore


@dataclass(frozen=True, slots=True)
class FileView:
    """The File resource."""

    id: str
    chat_id: str
    workspace_id: str
    file_name: str
    size: int
    mime_type: str
    uploaded_by: str
    created_at: datetime
    url: str


def file_view(record: FileRecord) -> FileView:
    return FileView(
        id=record.id,
        chat_id=record.chat_id,
        workspace_id=record.workspace_id,
        file_name=record.file_name,
        size=record.size,
        mime_type=record.mime_type,
        uploaded_by=record.uploaded_by,
        created_at=record.created_at,
        url=file_url(record.id, record.file_name),
    )


def _file_not_found(file_id: str) -> DomainError:
    return DomainError(ErrorCode.FILE_NOT_FOUND, f"No file {file_id}")


class FileService:
    def __init__(
        self,
        access: ChatAccess,
        files: FileStore,
        blobs: BlobStorage,
        messages: MessageStore,
        clock: Clock,
        ids: IdGenerator,
    ) -> None:
        self._access = access
        self._files = files
        self._blobs = blobs
        self._messages = messages
        self._clock = clock
        self._ids = ids

    async def upload(
        self,
        actor: Actor,
        workspace_id: str,
        chat_id: str,
        *,
        file_name: str,
        content_type: str | None,
        data: bytes,
        max_size: int,
    ) -> FileView:
        """404 chat → 403 NOT_PARTICIPANT → 413 FILE_TOO_LARGE → 422 empty `file` → 415
        UNSUPPORTED_FILE_TYPE."""
        _workspace, chat = await self._access.readable(actor, workspace_id, chat_id)
        policy.require_chat_write(chat, actor)
        if len(data) > max_size:
            raise DomainError(
                ErrorCode.FILE_TOO_LARGE, f"The file is larger than the limit of {max_size} bytes"
            )
        if not data:
            raise ValidationFailed.single("file", "the file is empty")
        name = sanitize_file_name(file_name)
        mime_type = resolve_mime_type(name, content_type)
        if not is_allowed_type(mime_type):
            raise DomainError(
                ErrorCode.UNSUPPORTED_FILE_TYPE,
                f"Files of type {mime_type or 'unknown'} cannot be uploaded",
            )
        file_id = self._ids.new_id()
        record = FileRecord(
            id=file_id,
            workspace_id=workspace_id,
            chat_id=chat_id,
            uploaded_by=actor.user_id,
            file_name=name,
            mime_type=mime_type,
            size=len(data),
            # One flat, generated segment: blob stores accept it as is and fan out on it.
            storage_key=file_id,
            created_at=self._clock.now(),
        )
        await self._blobs.put(record.storage_key, data)
        await self._files.save(record)
        return file_view(record)

    async def download(self, actor: Actor, file_id: str) -> tuple[FileView, bytes]:
        """Read on the file's chat, else 404 FILE_NOT_FOUND; also 404 once the chat or the
        message the file is attached to was deleted."""
        record = await self._files.get(file_id)
        if record is None or not await self._access.can_read(
            actor, record.workspace_id, record.chat_id
        ):
            raise _file_not_found(file_id)
        if record.message_id is not None:
            message = await self._messages.get(record.message_id)
            if message is None or message.is_deleted:
                raise _file_not_found(file_id)
        return file_view(record), await self._blobs.open(record.storage_key)

    async def files_for_message(self, file_ids: Sequence[str]) -> Mapping[str, UploadedFile]:
        """The uploads named by a message's `attachment_ids`, for the send rules (domain.md §4)
        to judge; unknown ids are absent. Ids past the limit are not looked up: they are
        refused whatever they name."""
        records = await self._files.get_many(list(file_ids)[:ATTACHMENTS_MAX])
        return {file_id: record.as_uploaded_file() for file_id, record in records.items()}
