"""MessageStore and SummaryDraftStore contract: never-backwards saves, the timeline pages
(top level newest first, replies oldest first, strictly past the cursor, ties on created_at
ordered by id), the newest message look-ups, thread stats recomputed from the replies, and the
unread counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from msgspec.structs import replace

from flowra_core.domain.message.state import Message, Reaction
from flowra_core.domain.message.values import MessageAttachment, MessageType
from flowra_core.ports.messages import SummaryDraft, SummaryPhrase, ThreadStats, UnreadCounts

from .backends import Ports

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def message(message_id: str, minutes: float, **fields: Any) -> Message:
    values: dict[str, Any] = {
        "chat_id": "c1",
        "author_id": "u1",
        "type": MessageType.USER,
        "content": f"text of {message_id}",
        "created_at": at(minutes),
        "version": 1,
    }
    values.update(fields)
    return Message(id=message_id, **values)


def deleted(original: Message, minutes: float) -> Message:
    return replace(
        original,
        content="",
        deleted_at=at(minutes),
        deleted_by=original.author_id,
        version=original.version + 1,
    )


async def save_all(ports: Ports, *messages: Message) -> None:
    for stored in messages:
        await ports.messages.save(stored)


def ids(messages: Any) -> list[str]:
    return [stored.id for stored in messages]


class TestSave:
    async def test_a_message_with_every_field_reads_back_equal(self, ports: Ports) -> None:
        full = message(
            "m1",
            1,
            parent_id="m0",
            attachments=(
                MessageAttachment(
                    file_id="f1", file_name="a.png", file_size=10, mime_type="image/png"
                ),
            ),
            reactions=(
                Reaction(user_id="u2", emoji="👍"),
                Reaction(user_id="u1", emoji="🎉"),
            ),
            mentions=("u2", "u3"),
            actor_id="u9",
            source_message_id="m0",
            edited_at=at(2),
            version=4,
        )

        await ports.messages.save(full)

        assert await ports.messages.get("m1") == full
        assert await ports.messages.get("nope") is None

    async def test_an_older_version_never_overwrites_a_newer_one(self, ports: Ports) -> None:
        await ports.messages.save(message("m1", 1, content="third", version=3))
        await ports.messages.save(message("m1", 1, content="second", version=2))

        stored = await ports.messages.get("m1")
        assert stored is not None
        assert (stored.content, stored.version) == ("third", 3)


class TestTopLevel:
    async def test_newest_first_with_replies_and_other_chats_left_out(self, ports: Ports) -> None:
        await save_all(
            ports,
            message("m1", 1),
            message("m2", 2),
            message("r1", 3, parent_id="m1"),
            message("x1", 4, chat_id="c2"),
            deleted(message("m3", 5), 6),
        )

        found = await ports.messages.top_level("c1", before=None, limit=10)

        assert ids(found) == ["m3", "m2", "m1"]
        assert found[0].is_deleted

    async def test_pages_continue_strictly_before_the_cursor_and_ties_order_by_id(
        self, ports: Ports
    ) -> None:
        await save_all(ports, message("m1", 1), message("b", 2), message("a", 2), message("c", 2))

        first = await ports.messages.top_level("c1", before=None, limit=2)
        second = await ports.messages.top_level("c1", before=(at(2), "b"), limit=2)
        last = await ports.messages.top_level("c1", before=(at(1), "m1"), limit=2)

        assert ids(first) == ["c", "b"]
        assert ids(second) == ["a", "m1"]
        assert ids(last) == []
        assert await ports.messages.top_level("c1", before=None, limit=0) == []

    async def test_newest_of_any_kind_and_newest_live(self, ports: Ports) -> None:
        await save_all(
            ports,
            message("m1", 1),
            message("m2", 2, type=MessageType.BOT),
            deleted(message("m3", 3), 4),
            message("r1", 5, parent_id="m1"),
        )

        newest = await ports.messages.newest_top_level("c1")

        assert newest is not None
        assert newest.id == "m3"
        assert await ports.messages.newest_live_top_level_at("c1") == at(2)
        assert await ports.messages.newest_top_level("c2") is None
        assert await ports.messages.newest_live_top_level_at("c2") is None


class TestReplies:
    async def test_oldest_first_after_the_cursor_in_one_thread_only(self, ports: Ports) -> None:
        await save_all(
            ports,
            message("m1", 1),
            message("r2", 3, parent_id="m1"),
            message("r1", 2, parent_id="m1"),
            message("r0", 3, parent_id="m1"),
            message("o1", 2, parent_id="m9"),
        )

        first = await ports.messages.replies("c1", "m1", after=None, limit=2)
        rest = await ports.messages.replies("c1", "m1", after=(at(3), "r0"), limit=5)

        assert ids(first) == ["r1", "r0"]
        assert ids(rest) == ["r2"]
        assert await ports.messages.replies("c2", "m1", after=None, limit=5) == []

    async def test_newest_first_before_the_cursor_in_one_thread_only(self, ports: Ports) -> None:
        await save_all(
            ports,
            message("m1", 1),
            message("r2", 3, parent_id="m1"),
            message("r1", 2, parent_id="m1"),
            message("r0", 3, parent_id="m1"),
            message("o1", 4, parent_id="m9"),
        )
        messages = ports.messages

        first = await messages.replies_newest_first("c1", "m1", before=None, limit=2)
        rest = await messages.replies_newest_first("c1", "m1", before=(at(3), "r0"), limit=5)

        assert ids(first) == ["r2", "r0"]
        assert ids(rest) == ["r1"]
        assert await messages.replies_newest_first("c2", "m1", before=None, limit=5) == []


class TestThreadStats:
    async def test_counts_the_live_replies_and_the_newest_live_one(self, ports: Ports) -> None:
        reply = message("r3", 3, parent_id="m1")
        await save_all(
            ports,
            message("m1", 1),
            message("r1", 1.5, parent_id="m1"),
            message("r2", 2, parent_id="m1"),
            reply,
        )
        await ports.messages.refresh_thread_stats("c1", "m1")
        first = await ports.messages.thread_stats(["m1", "m2"])

        await ports.messages.save(deleted(reply, 4))
        await ports.messages.refresh_thread_stats("c1", "m1")
        await ports.messages.refresh_thread_stats("c1", "m1")

        assert dict(first) == {"m1": ThreadStats(reply_count=3, last_reply_at=at(3))}
        assert dict(await ports.messages.thread_stats(["m1"])) == {
            "m1": ThreadStats(reply_count=2, last_reply_at=at(2))
        }

    async def test_a_thread_left_without_live_replies_reports_zero(self, ports: Ports) -> None:
        reply = message("r1", 2, parent_id="m1")
        await save_all(ports, message("m1", 1), reply)
        await ports.messages.refresh_thread_stats("c1", "m1")

        await ports.messages.save(deleted(reply, 3))
        await ports.messages.refresh_thread_stats("c1", "m1")

        assert dict(await ports.messages.thread_stats(["m1"])) == {"m1": ThreadStats()}
        assert await ports.messages.thread_stats([]) == {}

    async def test_the_timeline_rows_carry_the_thread_stats(self, ports: Ports) -> None:
        await save_all(
            ports,
            message("m1", 1),
            message("m2", 2),
            message("r1", 3, parent_id="m1"),
        )
        await ports.messages.refresh_thread_stats("c1", "m1")

        rows = await ports.messages.top_level_threaded("c1", before=None, limit=5)
        older = await ports.messages.top_level_threaded("c1", before=(at(2), "m2"), limit=5)

        assert [(row.message.id, row.thread) for row in rows] == [
            ("m2", ThreadStats()),
            ("m1", ThreadStats(reply_count=1, last_reply_at=at(3))),
        ]
        assert [row.message.id for row in older] == ["m1"]
        assert rows[1].message == await ports.messages.get("m1")
        assert await ports.messages.top_level_threaded("c1", before=None, limit=0) == []


class TestUnreadCounts:
    async def test_counts_others_live_top_level_messages_after_the_position(
        self, ports: Ports
    ) -> None:
        await save_all(
            ports,
            message("m1", 1, author_id="u2"),
            message("m2", 2, author_id="u2", mentions=("u1",)),
            message("m3", 3, author_id="u1"),
            message("m4", 4, author_id="u3", type=MessageType.SYSTEM, actor_id="u1"),
            message("m5", 5, author_id="u3", mentions=("u1", "u2")),
            deleted(message("m6", 6, author_id="u2", mentions=("u1",)), 7),
            message("r1", 7, author_id="u2", parent_id="m1", mentions=("u1",)),
            message("x1", 8, author_id="u2", chat_id="c2"),
        )

        everything = await ports.messages.unread_counts("c1", "u1", after=None)
        after_m2 = await ports.messages.unread_counts("c1", "u1", after=(at(2), "m2"))
        for_u2 = await ports.messages.unread_counts("c1", "u2", after=None)

        assert everything == UnreadCounts(unread=3, mentions=2)
        assert after_m2 == UnreadCounts(unread=1, mentions=1)
        assert for_u2 == UnreadCounts(unread=3, mentions=1)
        assert await ports.messages.unread_counts("c9", "u1", after=None) == UnreadCounts()

    async def test_many_chats_are_counted_in_one_call_as_one_by_one(self, ports: Ports) -> None:
        await save_all(
            ports,
            message("m1", 1, author_id="u2", mentions=("u1",)),
            message("m2", 2, author_id="u1"),
            message("m3", 3, author_id="u2"),
            message("x1", 1, author_id="u2", chat_id="c2"),
            message("x2", 2, author_id="u3", chat_id="c2", mentions=("u1",)),
            message("y1", 1, author_id="u1", chat_id="c3"),
        )
        positions = {"c1": None, "c2": (at(1), "x1"), "c3": None, "c9": None}

        counted = await ports.messages.unread_counts_many("u1", positions, mentions=True)
        unread_only = await ports.messages.unread_counts_many("u1", positions, mentions=False)

        expected = {
            chat_id: await ports.messages.unread_counts(chat_id, "u1", after=position)
            for chat_id, position in positions.items()
        }
        assert expected["c1"] == UnreadCounts(unread=2, mentions=1)
        assert expected["c2"] == UnreadCounts(unread=1, mentions=1)
        for chat_id, counts in expected.items():
            assert counted.get(chat_id, UnreadCounts()) == counts
            assert unread_only.get(chat_id, UnreadCounts()).unread == counts.unread
            assert unread_only.get(chat_id, UnreadCounts()).mentions == 0
        assert await ports.messages.unread_counts_many("u1", {}, mentions=True) == {}


class TestSummaryDrafts:
    async def test_a_saved_draft_replaces_the_previous_one(self, ports: Ports) -> None:
        first = SummaryDraft(
            message_id="m1",
            content="set status to Done",
            phrases=(SummaryPhrase(field="status", text="set status to Done"),),
        )
        second = SummaryDraft(
            message_id="m1",
            content="set status to Done, added Bob",
            phrases=(
                SummaryPhrase(field="status", text="set status to Done"),
                SummaryPhrase(field=None, text="added Bob"),
            ),
        )

        await ports.summary_drafts.save(first)
        await ports.summary_drafts.save(second)

        assert await ports.summary_drafts.get("m1") == second
        assert await ports.summary_drafts.get("m2") is None
