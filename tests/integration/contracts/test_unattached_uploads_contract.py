"""FileStore contract, the repair job's side: uploads never attached and older than a cut-off
are listed oldest first, a bounded batch at a time, and deleted only while still unattached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flowra_core.ports.files import FileRecord

from .backends import Ports

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)


def upload(file_id: str, *, at: datetime, **fields: Any) -> FileRecord:
    return FileRecord(
        id=file_id,
        workspace_id="w1",
        chat_id="c1",
        uploaded_by="u1",
        file_name=f"{file_id}.pdf",
        mime_type="application/pdf",
        size=1234,
        storage_key=f"key-{file_id}",
        created_at=at,
        **fields,
    )


async def listed(ports: Ports, cutoff: datetime, limit: int = 10) -> list[str]:
    return [record.id for record in await ports.files.unattached_before(cutoff, limit=limit)]


async def test_only_unattached_uploads_older_than_the_cutoff_are_listed(ports: Ports) -> None:
    await ports.files.save(upload("newer", at=T0 + timedelta(seconds=2)))
    await ports.files.save(upload("older", at=T0))
    await ports.files.save(upload("attached", at=T0, message_id="m1"))
    await ports.files.save(upload("claimed-later", at=T0))
    await ports.files.mark_attached(["claimed-later"], "m2")
    await ports.files.save(upload("young", at=T0 + timedelta(hours=1)))

    cutoff = T0 + timedelta(minutes=1)
    assert await listed(ports, cutoff) == ["older", "newer"]
    assert await listed(ports, cutoff, limit=1) == ["older"]
    assert await listed(ports, cutoff, limit=0) == []
    assert await listed(ports, T0) == []  # strictly before the cut-off
    (record,) = await ports.files.unattached_before(cutoff, limit=1)
    assert record == upload("older", at=T0)


async def test_delete_removes_only_a_still_unattached_record(ports: Ports) -> None:
    await ports.files.save(upload("loose", at=T0))
    await ports.files.save(upload("attached", at=T0))
    await ports.files.mark_attached(["attached"], "m1")

    assert await ports.files.delete_unattached("loose") is True
    assert await ports.files.delete_unattached("loose") is False
    assert await ports.files.delete_unattached("attached") is False
    assert await ports.files.delete_unattached("ghost") is False

    assert await ports.files.get("loose") is None
    kept = await ports.files.get("attached")
    assert kept is not None
    assert kept.message_id == "m1"
