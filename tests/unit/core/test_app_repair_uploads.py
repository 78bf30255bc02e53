"""The repair job's upload clean-up (operations.md §5): uploads never attached to a message are
deleted, record and bytes, once they are 24 h old; attached and younger ones stay."""

from __future__ import annotations

from datetime import timedelta

from flowra_core.app.actor import Actor
from flowra_core.app.messages.upload_sweep import UNATTACHED_UPLOAD_MAX_AGE, UPLOAD_SWEEP_BATCH
from flowra_core.domain.chat import NewChat
from flowra_core.testing.builder import TestCore

MAX_SIZE = 1024 * 1024


async def upload(tc: TestCore, actor: Actor, workspace_id: str, chat_id: str, name: str) -> str:
    view = await tc.core.files.upload(
        actor,
        workspace_id,
        chat_id,
        file_name=name,
        content_type="text/plain",
        data=f"contents of {name}".encode(),
        max_size=MAX_SIZE,
    )
    return view.id


async def kept(tc: TestCore, file_ids: list[str]) -> list[str]:
    """The files whose record and bytes are both still there."""
    records = await tc.adapters.files.get_many(file_ids)
    blobs = set(tc.adapters.blobs.keys())
    return [i for i in file_ids if i in records and records[i].storage_key in blobs]


async def test_stale_unattached_uploads_go_and_attached_or_young_ones_stay(
    tc: TestCore, member: Actor, workspace_id: str
) -> None:
    chat = await tc.core.chats.create(member, workspace_id, NewChat(type="task", title="Ship it"))
    chat_id = chat.chat.id
    abandoned = await upload(tc, member, workspace_id, chat_id, "abandoned.txt")
    attached = await upload(tc, member, workspace_id, chat_id, "attached.txt")
    await tc.core.messages.send(
        member, workspace_id, chat_id, content="see attached", attachment_ids=[attached]
    )
    tc.clock.advance(timedelta(hours=12))
    young = await upload(tc, member, workspace_id, chat_id, "young.txt")
    repair = tc.core.upload_sweep()

    tc.clock.advance(UNATTACHED_UPLOAD_MAX_AGE - timedelta(hours=12))
    assert await repair.run_once() == 0  # exactly 24 h old: not yet
    tc.clock.advance(timedelta(milliseconds=1))
    assert await repair.run_once() == 1
    assert await kept(tc, [abandoned, attached, young]) == [attached, young]
    assert await tc.adapters.files.get(abandoned) is None
    tc.clock.advance(timedelta(hours=12))
    assert await repair.run_once() == 1
    assert await kept(tc, [abandoned, attached, young]) == [attached]


async def test_one_run_deletes_a_bounded_batch(
    tc: TestCore, member: Actor, workspace_id: str
) -> None:
    chat = await tc.core.chats.create(member, workspace_id, NewChat(type="task", title="Ship it"))
    uploads: list[str] = []
    for n in range(UPLOAD_SWEEP_BATCH + 5):
        uploads.append(await upload(tc, member, workspace_id, chat.chat.id, f"file{n}.txt"))
        tc.clock.advance(timedelta(seconds=1))
    tc.clock.advance(UNATTACHED_UPLOAD_MAX_AGE + timedelta(seconds=1))
    repair = tc.core.upload_sweep()

    assert await repair.run_once() == UPLOAD_SWEEP_BATCH
    assert await kept(tc, uploads) == uploads[UPLOAD_SWEEP_BATCH:]  # oldest first
    assert await repair.run_once() == 5
    assert await kept(tc, uploads) == []
