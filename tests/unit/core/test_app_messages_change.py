"""Changing messages (http-api.md "Messages" PATCH/DELETE/reactions, domain.md §4): who may,
in which order the checks fail, and what a tombstone keeps."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.domain.chat import NewChat
from flowra_core.domain.errors import ErrorCode, FlowraError
from flowra_core.domain.events import AggregateType, EventEnvelope
from flowra_core.domain.message import MessageEdited, MessageReactionAdded
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
    attachment_ids: list[str] | None = None,
) -> str:
    tc.clock.advance(STEP)
    sent = await tc.core.messages.send(
        actor,
        workspace_id,
        chat_id,
        content=content,
        parent_id=parent_id,
        attachment_ids=attachment_ids or [],
    )
    return sent.message.message.id


def events_of(tc: TestCore, message_id: str) -> list[EventEnvelope]:
    return [
        e
        for e in tc.adapters.event_store.all_events()
        if e.aggregate_type is AggregateType.MESSAGE and e.aggregate_id == message_id
    ]


class TestMessageIds:
    async def test_an_id_of_another_kind_is_no_message_of_the_chat(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        messages = tc.core.messages

        codes = [
            await code_of(messages.edit(owner, workspace_id, chat_id, chat_id, content="x")),
            await code_of(messages.delete(owner, workspace_id, chat_id, workspace_id)),
            await code_of(messages.add_reaction(owner, workspace_id, chat_id, chat_id, "👍")),
            await code_of(messages.remove_reaction(owner, workspace_id, chat_id, chat_id, "👍")),
            await code_of(tc.core.message_reads.get(owner, workspace_id, chat_id, owner.user_id)),
        ]

        assert codes == [ErrorCode.MESSAGE_NOT_FOUND] * 5


class TestEditMessage:
    async def test_the_author_edits_and_mentions_are_recomputed(
        self, tc: TestCore, owner: Actor, admin: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        message_id = await post(tc, owner, workspace_id, chat_id, "ping @mia")
        tc.clock.advance(STEP)

        view = await tc.core.messages.edit(
            owner, workspace_id, chat_id, message_id, content="ping @adam and @oscar"
        )

        assert (view.message.content, view.message.edited_at) == (
            "ping @adam and @oscar",
            tc.clock.now(),
        )
        assert view.message.mentions == (admin.user_id,)
        assert isinstance(events_of(tc, message_id)[-1].event, MessageEdited)

    async def test_tags_are_not_run_again(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        message_id = await post(tc, owner, workspace_id, chat_id, "hello")

        await tc.core.messages.edit(owner, workspace_id, chat_id, message_id, content="#close")

        page = await tc.core.message_reads.list_top_level(
            owner, workspace_id, chat_id, limit=None, cursor=None
        )
        assert [view.message.content for view in page.items] == ["#close"]

    @pytest.mark.parametrize("editor", ["admin", "owner"])
    async def test_only_the_author_edits(
        self,
        tc: TestCore,
        member: Actor,
        workspace_id: str,
        editor: str,
        callers: dict[str, Actor],
    ) -> None:
        actor = callers[editor]
        chat_id = await discussion(tc, member, workspace_id, actor)
        message_id = await post(tc, member, workspace_id, chat_id)

        code = await code_of(
            tc.core.messages.edit(actor, workspace_id, chat_id, message_id, content="mine now")
        )

        assert code is ErrorCode.FORBIDDEN

    async def test_the_checks_fail_in_the_specified_order(
        self, tc: TestCore, owner: Actor, admin: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, admin)
        message_id = await post(tc, owner, workspace_id, chat_id)
        await tc.core.messages.delete(owner, workspace_id, chat_id, message_id)
        edit = tc.core.messages.edit

        not_found = await code_of(edit(owner, workspace_id, chat_id, "nope", content=""))
        forbidden = await code_of(edit(admin, workspace_id, chat_id, message_id, content=""))
        invalid = await code_of(edit(owner, workspace_id, chat_id, message_id, content=" "))
        deleted = await code_of(edit(owner, workspace_id, chat_id, message_id, content="x"))

        assert (not_found, forbidden, invalid, deleted) == (
            ErrorCode.MESSAGE_NOT_FOUND,
            ErrorCode.FORBIDDEN,
            ErrorCode.VALIDATION_ERROR,
            ErrorCode.MESSAGE_DELETED,
        )

    async def test_bot_and_system_messages_are_not_edited(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        view = await tc.core.chats.create(owner, workspace_id, NewChat(type="task", title="Fix"))
        await tc.core.chats.close(owner, workspace_id, view.chat.id)
        summary = await tc.adapters.messages.newest_top_level(view.chat.id)
        assert summary is not None

        code = await code_of(
            tc.core.messages.edit(owner, workspace_id, view.chat.id, summary.id, content="x")
        )

        assert code is ErrorCode.FORBIDDEN


class TestDeleteMessage:
    @pytest.mark.parametrize("deleter", ["member", "owner", "admin"])
    async def test_the_author_a_chat_admin_or_a_workspace_admin_deletes(
        self,
        tc: TestCore,
        owner: Actor,
        admin: Actor,
        member: Actor,
        workspace_id: str,
        deleter: str,
        callers: dict[str, Actor],
    ) -> None:
        # olivia is the chat admin; adam is a workspace admin who reads the public chat.
        chat_id = await discussion(tc, owner, workspace_id, member)
        message_id = await post(tc, member, workspace_id, chat_id, "oops")

        await tc.core.messages.delete(callers[deleter], workspace_id, chat_id, message_id)

        view = await tc.core.message_reads.get(owner, workspace_id, chat_id, message_id)
        assert view.is_deleted
        assert view.message.deleted_by == callers[deleter].user_id

    @pytest.mark.parametrize("deleter", ["participant", "sysadmin"])
    async def test_other_participants_and_system_admins_may_not(
        self,
        tc: TestCore,
        owner: Actor,
        member: Actor,
        admin: Actor,
        sysadmin: Actor,
        workspace_id: str,
        deleter: str,
    ) -> None:
        # mia's chat; adam takes part in it after losing his workspace admin role.
        chat_id = await discussion(tc, member, workspace_id, owner, admin)
        message_id = await post(tc, owner, workspace_id, chat_id)
        await tc.core.workspaces.change_role(owner, workspace_id, admin.user_id, role="member")
        actor = admin if deleter == "participant" else sysadmin

        code = await code_of(tc.core.messages.delete(actor, workspace_id, chat_id, message_id))

        assert code is ErrorCode.FORBIDDEN

    async def test_a_tombstone_keeps_its_place_without_content(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, member)
        file_view = await tc.core.files.upload(
            owner,
            workspace_id,
            chat_id,
            file_name="a.txt",
            content_type="text/plain",
            data=b"a",
            max_size=10,
        )
        message_id = await post(
            tc, owner, workspace_id, chat_id, "secret", attachment_ids=[file_view.id]
        )
        await tc.core.messages.add_reaction(member, workspace_id, chat_id, message_id, "👀")

        await tc.core.messages.delete(owner, workspace_id, chat_id, message_id)

        view = await tc.core.message_reads.get(owner, workspace_id, chat_id, message_id)
        assert (view.message.content, view.attachments, view.reactions) == ("", (), ())
        assert view.message.deleted_at == tc.clock.now()

    async def test_deleting_twice_is_message_deleted(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        message_id = await post(tc, owner, workspace_id, chat_id)
        await tc.core.messages.delete(owner, workspace_id, chat_id, message_id)

        code = await code_of(tc.core.messages.delete(owner, workspace_id, chat_id, message_id))

        assert code is ErrorCode.MESSAGE_DELETED

    async def test_the_chat_falls_back_to_its_newest_live_message(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        first = await post(tc, owner, workspace_id, chat_id, "first")
        first_at = tc.clock.now()
        second = await post(tc, owner, workspace_id, chat_id, "second")
        chats = tc.adapters.chats

        await tc.core.messages.delete(owner, workspace_id, chat_id, second)
        after_one = await chats.last_message_at([chat_id])
        await tc.core.messages.delete(owner, workspace_id, chat_id, first)
        after_both = await chats.last_message_at([chat_id])

        assert (after_one, after_both) == ({chat_id: first_at}, {})


class TestReactions:
    async def test_adding_twice_changes_nothing(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, member)
        message_id = await post(tc, owner, workspace_id, chat_id)
        react = tc.core.messages.add_reaction

        await react(member, workspace_id, chat_id, message_id, "👍")
        view = await react(member, workspace_id, chat_id, message_id, "👍")

        assert [(r.emoji, r.count, r.me) for r in view.reactions] == [("👍", 1, True)]
        added = [e for e in events_of(tc, message_id) if isinstance(e.event, MessageReactionAdded)]
        assert len(added) == 1

    async def test_removing_is_idempotent(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, member)
        message_id = await post(tc, owner, workspace_id, chat_id)
        messages = tc.core.messages
        await messages.add_reaction(member, workspace_id, chat_id, message_id, "👍")
        await messages.add_reaction(owner, workspace_id, chat_id, message_id, "👍")

        await messages.remove_reaction(member, workspace_id, chat_id, message_id, "👍")
        view = await messages.remove_reaction(member, workspace_id, chat_id, message_id, "👍")

        assert [(r.emoji, r.user_ids, r.me) for r in view.reactions] == [
            ("👍", (owner.user_id,), False)
        ]

    @pytest.mark.parametrize("emoji", ["", "a b", "x" * 33])
    async def test_an_emoji_is_1_to_32_characters_without_whitespace(
        self, tc: TestCore, owner: Actor, workspace_id: str, emoji: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        message_id = await post(tc, owner, workspace_id, chat_id)

        code = await code_of(
            tc.core.messages.add_reaction(owner, workspace_id, chat_id, message_id, emoji)
        )

        assert code is ErrorCode.VALIDATION_ERROR

    async def test_the_checks_fail_in_the_specified_order(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        message_id = await post(tc, owner, workspace_id, chat_id)
        await tc.core.messages.delete(owner, workspace_id, chat_id, message_id)
        add = tc.core.messages.add_reaction
        remove = tc.core.messages.remove_reaction

        codes = [
            await code_of(add(member, workspace_id, chat_id, "nope", "👍")),
            await code_of(add(member, workspace_id, chat_id, message_id, " ")),
            await code_of(add(owner, workspace_id, chat_id, message_id, " ")),
            await code_of(add(owner, workspace_id, chat_id, message_id, "👍")),
            await code_of(remove(owner, workspace_id, chat_id, message_id, "👍")),
        ]

        assert codes == [
            ErrorCode.MESSAGE_NOT_FOUND,
            ErrorCode.NOT_PARTICIPANT,
            ErrorCode.VALIDATION_ERROR,
            ErrorCode.MESSAGE_DELETED,
            ErrorCode.MESSAGE_DELETED,
        ]
