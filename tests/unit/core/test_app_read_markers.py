"""Read markers (domain.md §4.2, http-api.md `C/read` and the unread fields of ChatSummary):
markers only move forward; unread and mention counts cover top-level messages of others."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.messages.read_markers import ChatUnread, ReadState
from flowra_core.domain.chat import Chat, NewChat
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
    content: str = "hello",
    *,
    parent_id: str | None = None,
) -> str:
    tc.clock.advance(STEP)
    sent = await tc.core.messages.send(
        actor, workspace_id, chat_id, content=content, parent_id=parent_id
    )
    return sent.message.message.id


async def chat_of(tc: TestCore, chat_id: str) -> Chat:
    chat = await tc.adapters.chats.get(chat_id)
    assert chat is not None
    return chat


async def unread_of(tc: TestCore, actor: Actor, chat_id: str) -> ChatUnread:
    summary = await tc.core.read_markers.unread_summary(actor.user_id, [await chat_of(tc, chat_id)])
    return summary[chat_id]


class TestMarkRead:
    async def test_by_default_everything_is_read(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, member)
        await post(tc, owner, workspace_id, chat_id, "one")
        newest = await post(tc, owner, workspace_id, chat_id, "two")

        state = await tc.core.read_markers.mark_read(member, workspace_id, chat_id)

        assert state == ReadState(chat_id=chat_id, last_read_message_id=newest, unread_count=0)

    async def test_up_to_a_given_message(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, member)
        first = await post(tc, owner, workspace_id, chat_id, "one")
        await post(tc, owner, workspace_id, chat_id, "two")
        await post(tc, owner, workspace_id, chat_id, "three")

        state = await tc.core.read_markers.mark_read(member, workspace_id, chat_id, first)

        assert (state.last_read_message_id, state.unread_count) == (first, 2)

    async def test_the_marker_never_moves_backwards(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, member)
        first = await post(tc, owner, workspace_id, chat_id, "one")
        second = await post(tc, owner, workspace_id, chat_id, "two")
        await tc.core.read_markers.mark_read(member, workspace_id, chat_id, second)

        state = await tc.core.read_markers.mark_read(member, workspace_id, chat_id, first)

        assert (state.last_read_message_id, state.unread_count) == (second, 0)
        assert (await unread_of(tc, member, chat_id)).last_read_message_id == second

    async def test_an_empty_chat_has_nothing_to_read(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        state = await tc.core.read_markers.mark_read(owner, workspace_id, chat_id)

        assert state == ReadState(chat_id=chat_id, last_read_message_id=None, unread_count=0)

    async def test_the_message_must_be_of_this_chat(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        elsewhere = await discussion(tc, owner, workspace_id)
        foreign = await post(tc, owner, workspace_id, elsewhere)

        for message_id in (foreign, "nope"):
            with pytest.raises(ValidationFailed) as failure:
                await tc.core.read_markers.mark_read(owner, workspace_id, chat_id, message_id)
            assert [error.field for error in failure.value.errors] == ["message_id"]

    @pytest.mark.parametrize(
        ("caller", "private", "expected"),
        [
            ("member", False, ErrorCode.NOT_PARTICIPANT),
            ("sysadmin", True, ErrorCode.NOT_PARTICIPANT),
            ("member", True, ErrorCode.CHAT_NOT_FOUND),
        ],
    )
    async def test_only_participants_have_a_marker(
        self,
        tc: TestCore,
        owner: Actor,
        workspace_id: str,
        callers: dict[str, Actor],
        caller: str,
        private: bool,
        expected: ErrorCode,
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, is_public=not private)

        code = await code_of(tc.core.read_markers.mark_read(callers[caller], workspace_id, chat_id))

        assert code is expected

    async def test_a_reply_is_a_valid_position(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, member)
        root = await post(tc, owner, workspace_id, chat_id, "root")
        reply = await post(tc, owner, workspace_id, chat_id, "re", parent_id=root)
        await post(tc, owner, workspace_id, chat_id, "later")

        state = await tc.core.read_markers.mark_read(member, workspace_id, chat_id, reply)

        assert (state.last_read_message_id, state.unread_count) == (reply, 1)


class TestUnreadCounts:
    async def test_top_level_live_messages_of_others_count(
        self, tc: TestCore, owner: Actor, admin: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, admin, member)
        root = await post(tc, owner, workspace_id, chat_id, "counts")
        await post(tc, admin, workspace_id, chat_id, "reply, not counted", parent_id=root)
        gone = await post(tc, admin, workspace_id, chat_id, "deleted, not counted")
        await tc.core.messages.delete(admin, workspace_id, chat_id, gone)
        await post(tc, admin, workspace_id, chat_id, "@mia counts and mentions")

        assert await unread_of(tc, member, chat_id) == ChatUnread(2, 1, None)

    async def test_reading_and_writing_clear_the_counts(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, member)
        await post(tc, owner, workspace_id, chat_id, "hi @mia")
        await post(tc, owner, workspace_id, chat_id, "anyone?")
        before = await unread_of(tc, member, chat_id)

        own = await post(tc, member, workspace_id, chat_id, "here")

        assert before == ChatUnread(2, 1, None)
        assert await unread_of(tc, member, chat_id) == ChatUnread(0, 0, own)

    async def test_non_participants_see_zero(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        await post(tc, owner, workspace_id, chat_id, "hi @mia")

        assert await unread_of(tc, member, chat_id) == ChatUnread(0, 0, None)

    async def test_one_summary_for_several_chats(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        busy = await discussion(tc, owner, workspace_id, member)
        quiet = await discussion(tc, owner, workspace_id, member)
        await post(tc, owner, workspace_id, busy, "one")
        await post(tc, owner, workspace_id, busy, "two")

        summary = await tc.core.read_markers.unread_summary(
            member.user_id, [await chat_of(tc, busy), await chat_of(tc, quiet)]
        )

        assert summary == {busy: ChatUnread(2, 0, None), quiet: ChatUnread(0, 0, None)}

    async def test_a_change_summary_is_unread_for_others_but_not_for_its_actor(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        view = await tc.core.chats.create(
            owner,
            workspace_id,
            NewChat(type="task", title="Fix", participant_ids=[member.user_id]),
        )
        chat_id = view.chat.id
        await post(tc, owner, workspace_id, chat_id, "starting")

        await tc.core.chats.close(owner, workspace_id, chat_id)

        assert (await unread_of(tc, owner, chat_id)).unread_count == 0
        assert (await unread_of(tc, member, chat_id)).unread_count == 2


class TestRememberedCounts:
    """A chat list remembers the counts it made on the caller's marker; every change of the
    timeline (a message created, edited or deleted) or of the marker makes the next list
    count again, so a list never shows counts older than the chat."""

    async def listed(self, tc: TestCore, actor: Actor, workspace_id: str) -> dict[str, ChatUnread]:
        page = await tc.core.chat_reads.list_chats(
            actor, workspace_id, types=None, q=None, joined=True, sort=None, limit=None, cursor=None
        )
        return {view.chat.id: view.read for view in page.items}

    async def test_the_counts_follow_every_change_of_the_timeline_and_the_marker(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, member)
        first = await post(tc, owner, workspace_id, chat_id, "one")
        second = await post(tc, owner, workspace_id, chat_id, "two")
        seen = [(await self.listed(tc, member, workspace_id))[chat_id]]
        seen.append((await self.listed(tc, member, workspace_id))[chat_id])  # remembered

        tc.clock.advance(STEP)
        await tc.core.messages.edit(owner, workspace_id, chat_id, second, content="two @mia")
        seen.append((await self.listed(tc, member, workspace_id))[chat_id])
        await tc.core.messages.delete(owner, workspace_id, chat_id, first)
        seen.append((await self.listed(tc, member, workspace_id))[chat_id])
        third = await post(tc, owner, workspace_id, chat_id, "three")
        seen.append((await self.listed(tc, member, workspace_id))[chat_id])
        await tc.core.read_markers.mark_read(member, workspace_id, chat_id, second)
        seen.append((await self.listed(tc, member, workspace_id))[chat_id])
        await tc.core.read_markers.mark_read(member, workspace_id, chat_id)
        seen.append((await self.listed(tc, member, workspace_id))[chat_id])

        assert seen == [
            ChatUnread(2, 0, None),
            ChatUnread(2, 0, None),
            ChatUnread(2, 1, None),
            ChatUnread(1, 1, None),
            ChatUnread(2, 1, None),
            ChatUnread(1, 0, second),
            ChatUnread(0, 0, third),
        ]
