"""Local-disk blob storage: round trip, missing keys, unsafe keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowra_adapters.files.local_disk import LocalDiskBlobStorage
from flowra_core.domain.errors import DomainError, ErrorCode


async def test_bytes_round_trip_and_delete(tmp_path: Path) -> None:
    storage = LocalDiskBlobStorage(tmp_path / "uploads")
    await storage.put("abc123", b"\x00hello")
    assert await storage.open("abc123") == b"\x00hello"
    await storage.delete("abc123")
    await storage.delete("abc123")
    with pytest.raises(DomainError) as missing:
        await storage.open("abc123")
    assert missing.value.code is ErrorCode.FILE_NOT_FOUND


@pytest.mark.parametrize("key", ["../etc/passwd", "a/b", "", ".hidden", "x" * 300])
async def test_keys_cannot_escape_the_directory(tmp_path: Path, key: str) -> None:
    storage = LocalDiskBlobStorage(tmp_path)
    with pytest.raises(ValueError, match="unsafe storage key"):
        await storage.put(key, b"x")
