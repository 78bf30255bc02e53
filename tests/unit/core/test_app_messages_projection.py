"""The message projection (thread stats, the chat's last_message_at, attached files) and
the adapters behind it: every update is recomputed, so replaying commits changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flowra_core.app.actor import Actor
from flowra_core.app.messages.projector import MessageProjector
from flowra_core.domain.chat import NewChat
from flowra_core.domain.events import AggregateType
from flowra_core.domain.message import ReadMarker
from flowra_core.memory.read_markers import InMemoryReadMarkerStore
from flowra_core.ports.event_store import Commit
from flowra_core.ports.messages import ThreadStats
from flowra_core.testing.builder import TestCore

STEP = timedelta(seconds=1)


def journal_commits(tc: TestCore) -> list[Commit]:
    """Each stored event as the one-event commit it came in (message commits hold one)."""
    return [
        Commit(
            commit_id=f"replay-{envelope.event_id}",
            aggregate_type=envelope.aggregate_type,
            aggregate_id=envelope.aggregate_id,
            base_version=envelope.version - 1,
            workspace_id=envelope.workspace_id,
            chat_id=envelope.chat_id,
            actor_id=envelope.actor_id,
            recorded_at=envelope.occurred_at,
            events=(envelope,),
        )
        for envelope in tc.adapters.event_store.all_events()
    ]


async def post(
    tc: TestCore, actor: Actor, workspace_id: str, chat_id: str, *, parent_id: str | None = None
) -> str:
    tc.clock.advance(STEP)
    sent = await tc.core.messages.send(
        actor, workspace_id, chat_id, content="hello", parent_id=parent_id
    )
    return sent.message.message.id


class TestReplay:
    async def test_replaying_every_commit_twice_changes_nothing(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        view = await tc.core.chats.create(owner, workspace_id, NewChat(title="Launch"))
        chat_id = view.chat.id
        root = await post(tc, owner, workspace_id, chat_id)
        replies = [await post(tc, owner, workspace_id, chat_id, parent_id=root) for _ in "ab"]
        last_top_level = await post(tc, owner, workspace_id, chat_id)
        await tc.core.messages.delete(owner, workspace_id, chat_id, replies[1])
        await tc.core.messages.delete(owner, workspace_id, chat_id, last_top_level)
        messages, chats = tc.adapters.messages, tc.adapters.chats
        before = (await messages.thread_stats([root]), await chats.last_message_at([chat_id]))
        projector = MessageProjector(messages, chats, tc.adapters.files)

        for commit in journal_commits(tc) * 2:
            await projector.project(commit)

        after = (await messages.thread_stats([root]), await chats.last_message_at([chat_id]))
        assert after == before
        root_message = await messages.get(root)
        assert root_message is not None
        assert before == (
            {root: ThreadStats(reply_count=1, last_reply_at=tc.clock.now() - 2 * STEP)},
            {chat_id: root_message.created_at},
        )

    async def test_other_aggregates_are_ignored(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        await tc.core.chats.create(owner, workspace_id, NewChat(title="Launch"))
        projector = MessageProjector(tc.adapters.messages, tc.adapters.chats, tc.adapters.files)
        chat_commits = [c for c in journal_commits(tc) if c.aggregate_type is AggregateType.CHAT]

        for commit in chat_commits:
            await projector.project(commit)

        assert chat_commits
        assert await tc.adapters.chats.last_message_at([c.aggregate_id for c in chat_commits]) == {}


class TestAdapters:
    async def test_a_file_stays_with_the_first_message_it_was_attached_to(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        view = await tc.core.chats.create(owner, workspace_id, NewChat(title="Launch"))
        upload = await tc.core.files.upload(
            owner,
            workspace_id,
            view.chat.id,
            file_name="a.txt",
            content_type=None,
            data=b"a",
            max_size=10,
        )
        files = tc.adapters.files

        await files.mark_attached([upload.id], "message-1")
        await files.mark_attached([upload.id], "message-2")

        record = await files.get(upload.id)
        assert record is not None
        assert record.message_id == "message-1"

    async def test_a_read_marker_upsert_never_moves_backwards(self) -> None:
        store = InMemoryReadMarkerStore()
        start = datetime(2026, 1, 28, 10, 0, tzinfo=UTC)

        def marker(message_id: str | None, minutes: int) -> ReadMarker:
            return ReadMarker(
                chat_id="chat-1",
                user_id="user-1",
                last_read_message_id=message_id,
                last_read_at=None if message_id is None else start + timedelta(minutes=minutes),
            )

        stored = [
            await store.advance(marker("m2", 2)),
            await store.advance(marker("m1", 1)),
            await store.advance(marker(None, 0)),
        ]

        assert stored == [marker("m2", 2)] * 3
        assert await store.get_many("user-1", ["chat-1", "chat-2"]) == {"chat-1": marker("m2", 2)}
