"""Uploaded files: metadata documents (operations.md §6 `files`) and the bytes behind them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

import msgspec

from flowra_core.domain.message.values import UploadedFile


class FileRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One upload. `message_id` is the message it is attached to (None until attached);
    `storage_key` names its bytes in the blob storage."""

    id: str
    workspace_id: str
    chat_id: str
    uploaded_by: str
    file_name: str
    mime_type: str
    size: int
    storage_key: str
    message_id: str | None = None
    created_at: datetime

    def as_uploaded_file(self) -> UploadedFile:
        return UploadedFile(
            id=self.id,
            chat_id=self.chat_id,
            uploaded_by=self.uploaded_by,
            file_name=self.file_name,
            file_size=self.size,
            mime_type=self.mime_type,
            message_id=self.message_id,
        )


class FileStore(Protocol):
    async def get(self, file_id: str) -> FileRecord | None: ...

    async def get_many(self, file_ids: Collection[str]) -> Mapping[str, FileRecord]:
        """The known files among `file_ids`, by id."""
        ...

    async def save(self, record: FileRecord) -> None: ...

    async def mark_attached(self, file_ids: Collection[str], message_id: str) -> None:
        """Set `message_id` on those files that are not attached yet (a replay is harmless;
        a file attached to another message keeps that message)."""
        ...

    async def unattached_before(self, cutoff: datetime, *, limit: int) -> Sequence[FileRecord]:
        """At most `limit` files never attached to a message and created before `cutoff`,
        oldest first (the repair job's clean-up list)."""
        ...

    async def delete_unattached(self, file_id: str) -> bool:
        """Delete the record if it is still unattached; True when it was deleted (a file
        attached meanwhile, or already gone, is left as it is)."""
        ...


class BlobStorage(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def open(self, key: str) -> bytes:
        """The stored bytes; DomainError FILE_NOT_FOUND when nothing is stored under `key`."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the bytes; deleting an absent key is a no-op."""
        ...
