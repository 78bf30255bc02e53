"""Reading messages (http-api.md "Messages" GET routes, the Message resource of §4): one
message, the newest-first timeline, threads oldest first, and what a view shows."""

from __future__ import annotations

import functools
from collections.abc import Awaitable
from datetime import timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.messages.views import MessageView, ReactionView
from flowra_core.domain.chat import NewChat
from flowra_core.domain.errors import ErrorCode, FlowraError, ValidationFailed
from flowra_core.testing.builder import TestCore

STEP = timedelta(seconds=1)


async def code_of(call: Awaitable[object]) -> ErrorCode | None:
    try:
        await call
    except FlowraError as error:
        return error.code
    return None


async def discussion(
    tc: TestCore, creator: Actor, workspace_id: str, *others: Actor, is_public: bool = True
) -> str:
    draft = NewChat(
        title="Launch", is_public=is_public, participant_ids=[o.user_id for o in others]
    )
    view = await tc.core.chats.create(creator, workspace_id, draft)
    return view.chat.id


async def post(
    tc: TestCore,
    actor: Actor,
    workspace_id: str,
    chat_id: str,
    content: str,
    *,
    parent_id: str | None = None,
) -> str:
    """Send one message a second after the previous one; its id."""
    tc.clock.advance(STEP)
    sent = await tc.core.messages.send(
        actor, workspace_id, chat_id, content=content, parent_id=parent_id
    )
    return sent.message.message.id


def contents(views: list[MessageView] | tuple[MessageView, ...]) -> list[str]:
    return [view.message.content for view in views]


class TestGetMessage:
    async def test_replies_and_tombstones_are_readable(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        root = await post(tc, owner, workspace_id, chat_id, "root")
        reply = await post(tc, owner, workspace_id, chat_id, "re", parent_id=root)
        await tc.core.messages.delete(owner, workspace_id, chat_id, root)

        tombstone = await tc.core.message_reads.get(owner, workspace_id, chat_id, root)
        answer = await tc.core.message_reads.get(owner, workspace_id, chat_id, reply)

        assert (tombstone.is_deleted, tombstone.message.content) == (True, "")
        assert tombstone.message.deleted_by == owner.user_id
        assert (answer.message.parent_id, answer.message.content) == (root, "re")

    async def test_a_message_of_another_chat_is_not_found(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        elsewhere = await discussion(tc, owner, workspace_id)
        foreign = await post(tc, owner, workspace_id, elsewhere, "there")

        other_chat = await code_of(tc.core.message_reads.get(owner, workspace_id, chat_id, foreign))
        unknown = await code_of(tc.core.message_reads.get(owner, workspace_id, chat_id, "nope"))

        assert other_chat is unknown is ErrorCode.MESSAGE_NOT_FOUND

    @pytest.mark.parametrize(
        ("caller", "private", "expected"),
        [
            ("member", False, None),
            ("sysadmin", True, None),
            ("member", True, ErrorCode.CHAT_NOT_FOUND),
            ("non-member", False, ErrorCode.WORKSPACE_NOT_FOUND),
        ],
    )
    async def test_whoever_reads_the_chat_reads_its_messages(
        self,
        tc: TestCore,
        owner: Actor,
        workspace_id: str,
        callers: dict[str, Actor],
        caller: str,
        private: bool,
        expected: ErrorCode | None,
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, is_public=not private)
        message_id = await post(tc, owner, workspace_id, chat_id, "hi")

        code = await code_of(
            tc.core.message_reads.get(callers[caller], workspace_id, chat_id, message_id)
        )

        assert code is expected


class TestTimeline:
    async def test_top_level_messages_newest_first_with_tombstones(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        first = await post(tc, owner, workspace_id, chat_id, "first")
        await post(tc, owner, workspace_id, chat_id, "in a thread", parent_id=first)
        second = await post(tc, owner, workspace_id, chat_id, "second")
        await post(tc, owner, workspace_id, chat_id, "third")
        await tc.core.messages.delete(owner, workspace_id, chat_id, second)

        page = await tc.core.message_reads.list_top_level(
            owner, workspace_id, chat_id, limit=None, cursor=None
        )

        assert contents(list(page.items)) == ["third", "", "first"]
        assert [view.is_deleted for view in page.items] == [False, True, False]
        assert page.next_cursor is None

    async def test_pages_go_to_older_messages_and_ignore_new_arrivals(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        for number in range(1, 6):
            await post(tc, owner, workspace_id, chat_id, f"m{number}")
        service = tc.core.message_reads

        first = await service.list_top_level(owner, workspace_id, chat_id, limit=2, cursor=None)
        await post(tc, owner, workspace_id, chat_id, "m6")
        second = await service.list_top_level(
            owner, workspace_id, chat_id, limit=2, cursor=first.next_cursor
        )
        third = await service.list_top_level(
            owner, workspace_id, chat_id, limit=2, cursor=second.next_cursor
        )

        assert [contents(list(p.items)) for p in (first, second, third)] == [
            ["m5", "m4"],
            ["m3", "m2"],
            ["m1"],
        ]
        assert third.next_cursor is None

    async def test_messages_sent_in_the_same_instant_keep_one_order(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        for number in range(6):
            await tc.core.messages.send(owner, workspace_id, chat_id, content=f"m{number}")
        service = tc.core.message_reads

        whole = await service.list_top_level(owner, workspace_id, chat_id, limit=6, cursor=None)
        paged: list[MessageView] = []
        cursor = None
        for _ in range(3):
            page = await service.list_top_level(
                owner, workspace_id, chat_id, limit=2, cursor=cursor
            )
            paged.extend(page.items)
            cursor = page.next_cursor

        assert [v.message.id for v in paged] == [v.message.id for v in whole.items]
        assert sorted(contents(paged)) == [f"m{number}" for number in range(6)]

    async def test_a_cursor_fits_only_its_own_chat(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        elsewhere = await discussion(tc, owner, workspace_id)
        for number in range(3):
            await post(tc, owner, workspace_id, chat_id, f"m{number}")
        page = await tc.core.message_reads.list_top_level(
            owner, workspace_id, chat_id, limit=1, cursor=None
        )

        with pytest.raises(ValidationFailed) as failure:
            await tc.core.message_reads.list_top_level(
                owner, workspace_id, elsewhere, limit=1, cursor=page.next_cursor
            )

        assert [error.field for error in failure.value.errors] == ["cursor"]

    @pytest.mark.parametrize("limit", [0, 101])
    async def test_the_limit_is_1_to_100(
        self, tc: TestCore, owner: Actor, workspace_id: str, limit: int
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        with pytest.raises(ValidationFailed) as failure:
            await tc.core.message_reads.list_top_level(
                owner, workspace_id, chat_id, limit=limit, cursor=None
            )

        assert [error.field for error in failure.value.errors] == ["limit"]

    async def test_a_private_chat_lists_nothing_to_strangers(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, is_public=False)

        code = await code_of(
            tc.core.message_reads.list_top_level(
                member, workspace_id, chat_id, limit=None, cursor=None
            )
        )

        assert code is ErrorCode.CHAT_NOT_FOUND


class TestReplies:
    async def test_a_thread_oldest_first_in_pages(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        root = await post(tc, owner, workspace_id, chat_id, "root")
        for number in range(1, 4):
            await post(tc, owner, workspace_id, chat_id, f"r{number}", parent_id=root)
        await post(tc, owner, workspace_id, chat_id, "not in the thread")
        service = tc.core.message_reads

        first = await service.replies(owner, workspace_id, chat_id, root, limit=2, cursor=None)
        second = await service.replies(
            owner, workspace_id, chat_id, root, limit=2, cursor=first.next_cursor
        )

        assert contents(list(first.items)) == ["r1", "r2"]
        assert contents(list(second.items)) == ["r3"]
        assert second.next_cursor is None

    async def test_a_thread_newest_first_pages_back_to_older_replies(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        root = await post(tc, owner, workspace_id, chat_id, "root")
        for number in range(1, 6):
            await post(tc, owner, workspace_id, chat_id, f"r{number}", parent_id=root)
        await post(tc, owner, workspace_id, chat_id, "not in the thread")
        read = functools.partial(
            tc.core.message_reads.replies, owner, workspace_id, chat_id, root, newest_first=True
        )

        first = await read(limit=2, cursor=None)
        second = await read(limit=2, cursor=first.next_cursor)
        last = await read(limit=2, cursor=second.next_cursor)

        pages = [contents(list(page.items)) for page in (first, second, last)]
        assert pages == [["r5", "r4"], ["r3", "r2"], ["r1"]]
        assert last.next_cursor is None

    async def test_a_cursor_of_the_oldest_first_thread_is_refused(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        root = await post(tc, owner, workspace_id, chat_id, "root")
        for number in range(1, 4):
            await post(tc, owner, workspace_id, chat_id, f"r{number}", parent_id=root)
        service = tc.core.message_reads
        oldest = await service.replies(owner, workspace_id, chat_id, root, limit=1, cursor=None)

        code = await code_of(
            service.replies(
                owner,
                workspace_id,
                chat_id,
                root,
                limit=1,
                cursor=oldest.next_cursor,
                newest_first=True,
            )
        )

        assert code is ErrorCode.VALIDATION_ERROR

    async def test_the_thread_of_an_unknown_or_foreign_message_is_not_found(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        elsewhere = await discussion(tc, owner, workspace_id)
        foreign = await post(tc, owner, workspace_id, elsewhere, "there")

        codes = [
            await code_of(
                tc.core.message_reads.replies(
                    owner, workspace_id, chat_id, message_id, limit=None, cursor=None
                )
            )
            for message_id in ("nope", foreign)
        ]

        assert codes == [ErrorCode.MESSAGE_NOT_FOUND, ErrorCode.MESSAGE_NOT_FOUND]


class TestMessageView:
    async def test_reactions_are_grouped_in_first_use_order_for_the_viewer(
        self, tc: TestCore, owner: Actor, admin: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, admin, member)
        message_id = await post(tc, owner, workspace_id, chat_id, "release?")
        messages = tc.core.messages
        await messages.add_reaction(admin, workspace_id, chat_id, message_id, "🚀")
        await messages.add_reaction(member, workspace_id, chat_id, message_id, "👍")
        await messages.add_reaction(owner, workspace_id, chat_id, message_id, "🚀")

        as_owner = await tc.core.message_reads.get(owner, workspace_id, chat_id, message_id)
        as_member = await tc.core.message_reads.get(member, workspace_id, chat_id, message_id)

        assert as_owner.reactions == (
            ReactionView("🚀", 2, (admin.user_id, owner.user_id), me=True),
            ReactionView("👍", 1, (member.user_id,), me=False),
        )
        assert [group.me for group in as_member.reactions] == [False, True]

    async def test_attachment_urls_encode_the_file_name(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        upload = await tc.core.files.upload(
            owner,
            workspace_id,
            chat_id,
            file_name="Q1 plan & budget#2.pdf",
            content_type=None,
            data=b"%PDF",
            max_size=1024,
        )

        sent = await tc.core.messages.send(
            owner, workspace_id, chat_id, content="", attachment_ids=[upload.id]
        )

        [attachment] = sent.message.attachments
        assert attachment.url == f"/api/v1/files/{upload.id}/Q1%20plan%20%26%20budget%232.pdf"

    async def test_the_timeline_shows_thread_stats(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, member)
        root = await post(tc, owner, workspace_id, chat_id, "root")
        await post(tc, member, workspace_id, chat_id, "re", parent_id=root)
        reply_time = tc.clock.now()

        page = await tc.core.message_reads.list_top_level(
            owner, workspace_id, chat_id, limit=None, cursor=None
        )

        [view] = page.items
        assert (view.reply_count, view.last_reply_at) == (1, reply_time)
        assert (view.author.id, view.author.username) == (owner.user_id, "olivia")
