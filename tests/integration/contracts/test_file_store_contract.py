"""FileStore contract: records read back equal, a save replaces, and a file is attached to the
first message that claims it only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from flowra_core.ports.files import FileRecord

from .backends import Ports

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)


def upload(file_id: str, **fields: Any) -> FileRecord:
    values: dict[str, Any] = {
        "workspace_id": "w1",
        "chat_id": "c1",
        "uploaded_by": "u1",
        "file_name": f"{file_id}.pdf",
        "mime_type": "application/pdf",
        "size": 1234,
        "storage_key": f"key-{file_id}",
        "created_at": T0,
    }
    values.update(fields)
    return FileRecord(id=file_id, **values)


async def attached_to(ports: Ports, file_id: str) -> str | None:
    found = await ports.files.get(file_id)
    assert found is not None
    return found.message_id


class TestRecords:
    async def test_a_record_reads_back_equal_and_a_save_replaces_it(self, ports: Ports) -> None:
        await ports.files.save(upload("f1"))
        await ports.files.save(upload("f1", file_name="renamed.pdf", message_id="m1"))

        assert await ports.files.get("f1") == upload("f1", file_name="renamed.pdf", message_id="m1")
        assert await ports.files.get("nope") is None

    async def test_get_many_returns_the_known_ones(self, ports: Ports) -> None:
        await ports.files.save(upload("f1"))
        await ports.files.save(upload("f2"))

        found = await ports.files.get_many(["f1", "f2", "nope"])

        assert dict(found) == {"f1": upload("f1"), "f2": upload("f2")}
        assert await ports.files.get_many([]) == {}


class TestAttach:
    async def test_files_are_attached_once_and_keep_their_first_message(self, ports: Ports) -> None:
        await ports.files.save(upload("f1"))
        await ports.files.save(upload("f2"))

        await ports.files.mark_attached(["f1"], "m1")
        await ports.files.mark_attached(["f1", "f2", "ghost"], "m2")
        await ports.files.mark_attached(["f1"], "m1")

        assert await attached_to(ports, "f1") == "m1"
        assert await attached_to(ports, "f2") == "m2"
        assert await ports.files.get("ghost") is None
