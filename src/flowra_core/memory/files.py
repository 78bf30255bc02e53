"""In-memory file metadata and blob storage."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from msgspec.structs import replace

from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.ports.files import FileRecord


class InMemoryFileStore:
    def __init__(self) -> None:
        self._files: dict[str, FileRecord] = {}

    async def get(self, file_id: str) -> FileRecord | None:
        return self._files.get(file_id)

    async def get_many(self, file_ids: Collection[str]) -> Mapping[str, FileRecord]:
        return {i: self._files[i] for i in file_ids if i in self._files}

    async def save(self, record: FileRecord) -> None:
        self._files[record.id] = record

    async def mark_attached(self, file_ids: Collection[str], message_id: str) -> None:
        for file_id in file_ids:
            record = self._files.get(file_id)
            if record is not None and record.message_id is None:
                self._files[file_id] = replace(record, message_id=message_id)

    async def unattached_before(self, cutoff: datetime, *, limit: int) -> Sequence[FileRecord]:
        unattached = [
            record
            for record in self._files.values()
            if record.message_id is None and record.created_at < cutoff
        ]
        unattached.sort(key=lambda record: (record.created_at, record.id))
        return unattached[: max(limit, 0)]

    async def delete_unattached(self, file_id: str) -> bool:
        record = self._files.get(file_id)
        if record is None or record.message_id is not None:
            return False
        del self._files[file_id]
        return True


class InMemoryBlobStorage:
    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    async def put(self, key: str, data: bytes) -> None:
        self._blobs[key] = bytes(data)

    async def open(self, key: str) -> bytes:
        try:
            return self._blobs[key]
        except KeyError:
            raise DomainError(ErrorCode.FILE_NOT_FOUND, f"No stored bytes for {key}") from None

    async def delete(self, key: str) -> None:
        self._blobs.pop(key, None)

    def keys(self) -> list[str]:
        """The keys holding bytes (for tests)."""
        return list(self._blobs)
