"""Sending messages (http-api.md "Messages" POST, domain.md §4): access, validation, what is
stored, threads, mentions and attachments. Tags and bot replies: test_app_messages_tags.py."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.messages.views import MessageView
from flowra_core.domain.chat import NewChat
from flowra_core.domain.errors import ErrorCode, FlowraError, ValidationFailed
from flowra_core.domain.events import AggregateType, EventEnvelope
from flowra_core.domain.message import MessageCreated, MessageType
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
    tc.clock.advance(STEP)
    return view.chat.id


async def upload(tc: TestCore, actor: Actor, workspace_id: str, chat_id: str) -> str:
    view = await tc.core.files.upload(
        actor,
        workspace_id,
        chat_id,
        file_name="plan.pdf",
        content_type="application/pdf",
        data=b"%PDF-1.7",
        max_size=1024,
    )
    return view.id


def message_events(tc: TestCore) -> list[EventEnvelope]:
    events = tc.adapters.event_store.all_events()
    return [e for e in events if e.aggregate_type is AggregateType.MESSAGE]


class TestSendAccess:
    async def test_a_participant_sends(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, member)

        sent = await tc.core.messages.send(member, workspace_id, chat_id, content="hi")

        assert (sent.message.message.content, sent.message.author.username) == ("hi", "mia")

    @pytest.mark.parametrize(
        ("caller", "expected"),
        [
            ("non-member", ErrorCode.WORKSPACE_NOT_FOUND),
            ("member", ErrorCode.CHAT_NOT_FOUND),
            ("sysadmin", ErrorCode.NOT_PARTICIPANT),
            ("admin", ErrorCode.CHAT_NOT_FOUND),
        ],
    )
    async def test_a_private_chat_is_invisible_and_sysadmins_do_not_write(
        self,
        tc: TestCore,
        owner: Actor,
        workspace_id: str,
        callers: dict[str, Actor],
        caller: str,
        expected: ErrorCode,
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, is_public=False)

        code = await code_of(
            tc.core.messages.send(callers[caller], workspace_id, chat_id, content="hi")
        )

        assert code is expected

    async def test_a_member_must_join_a_public_chat_before_writing(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        code = await code_of(tc.core.messages.send(member, workspace_id, chat_id, content="hi"))

        assert code is ErrorCode.NOT_PARTICIPANT

    async def test_a_deleted_chat_is_not_found(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        await tc.core.chats.delete(owner, workspace_id, chat_id)

        code = await code_of(tc.core.messages.send(owner, workspace_id, chat_id, content="hi"))

        assert code is ErrorCode.CHAT_NOT_FOUND

    async def test_a_chat_of_another_workspace_is_not_found(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        other = await tc.core.workspaces.create(owner, name="Other", description=None)
        chat_id = await discussion(tc, owner, other.workspace.id)

        code = await code_of(tc.core.messages.send(owner, workspace_id, chat_id, content="hi"))

        assert code is ErrorCode.CHAT_NOT_FOUND

    async def test_a_closed_work_item_accepts_messages(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        view = await tc.core.chats.create(owner, workspace_id, NewChat(type="task", title="Fix"))
        await tc.core.chats.close(owner, workspace_id, view.chat.id)

        sent = await tc.core.messages.send(owner, workspace_id, view.chat.id, content="done")

        assert sent.message.message.content == "done"

    async def test_rights_are_checked_before_the_input(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        code = await code_of(tc.core.messages.send(member, workspace_id, chat_id, content=" "))

        assert code is ErrorCode.NOT_PARTICIPANT


class TestSendValidation:
    async def _refused_fields(
        self,
        tc: TestCore,
        actor: Actor,
        workspace_id: str,
        chat_id: str,
        *,
        content: str,
        parent_id: str | None = None,
        attachment_ids: Sequence[str] = (),
    ) -> list[str]:
        before = len(message_events(tc))
        with pytest.raises(ValidationFailed) as failure:
            await tc.core.messages.send(
                actor,
                workspace_id,
                chat_id,
                content=content,
                parent_id=parent_id,
                attachment_ids=attachment_ids,
            )
        assert len(message_events(tc)) == before, "a refused message stores nothing"
        return [error.field for error in failure.value.errors]

    @pytest.mark.parametrize("content", ["", "  \n\t "])
    async def test_content_is_required_without_attachments(
        self, tc: TestCore, owner: Actor, workspace_id: str, content: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        fields = await self._refused_fields(tc, owner, workspace_id, chat_id, content=content)

        assert fields == ["content"]

    async def test_content_holds_at_most_10000_characters(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        fields = await self._refused_fields(tc, owner, workspace_id, chat_id, content="x" * 10001)
        sent = await tc.core.messages.send(owner, workspace_id, chat_id, content="x" * 10000)

        assert fields == ["content"]
        assert len(sent.message.message.content) == 10000

    async def test_an_attachment_alone_is_a_message(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        file_id = await upload(tc, owner, workspace_id, chat_id)

        sent = await tc.core.messages.send(
            owner, workspace_id, chat_id, content="", attachment_ids=[file_id]
        )

        assert [a.file_id for a in sent.message.attachments] == [file_id]

    async def test_the_parent_must_be_a_message_of_this_chat(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        elsewhere = await discussion(tc, owner, workspace_id)
        foreign = await tc.core.messages.send(owner, workspace_id, elsewhere, content="there")

        unknown = await self._refused_fields(
            tc, owner, workspace_id, chat_id, content="re", parent_id="no-such-message"
        )
        not_a_message = await self._refused_fields(
            tc, owner, workspace_id, chat_id, content="re", parent_id=chat_id
        )
        other_chat = await self._refused_fields(
            tc, owner, workspace_id, chat_id, content="re", parent_id=foreign.message.message.id
        )

        assert unknown == not_a_message == other_chat == ["parent_id"]

    async def test_each_bad_attachment_is_reported_at_its_index(
        self, tc: TestCore, owner: Actor, admin: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, admin)
        elsewhere = await discussion(tc, owner, workspace_id)
        mine = await upload(tc, owner, workspace_id, chat_id)
        other_chat = await upload(tc, owner, workspace_id, elsewhere)
        other_uploader = await upload(tc, admin, workspace_id, chat_id)
        attached = await upload(tc, owner, workspace_id, chat_id)
        await tc.core.messages.send(
            owner, workspace_id, chat_id, content="", attachment_ids=[attached]
        )

        fields = await self._refused_fields(
            tc,
            owner,
            workspace_id,
            chat_id,
            content="files",
            attachment_ids=[mine, "no-such-file", other_chat, other_uploader, attached],
        )

        assert fields == [f"attachment_ids[{i}]" for i in (1, 2, 3, 4)]

    async def test_at_most_ten_attachments(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        files = [await upload(tc, owner, workspace_id, chat_id) for _ in range(11)]

        fields = await self._refused_fields(
            tc, owner, workspace_id, chat_id, content="", attachment_ids=files
        )
        sent = await tc.core.messages.send(
            owner, workspace_id, chat_id, content="", attachment_ids=files[:10]
        )

        assert fields == ["attachment_ids[10]"]
        assert len(sent.message.attachments) == 10


class TestSendStores:
    async def test_the_message_is_stored_verbatim_with_its_author(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        content = "Ship it\n#status Done"

        sent = await tc.core.messages.send(owner, workspace_id, chat_id, content=content)

        view = sent.message
        assert (view.message.type, view.message.content, view.workspace_id) == (
            MessageType.USER,
            content,
            workspace_id,
        )
        assert (view.author.id, view.author.display_name) == (owner.user_id, "Olivia")
        assert (view.reply_count, view.last_reply_at, view.is_deleted) == (0, None, False)
        assert view.message.created_at == tc.clock.now()

    async def test_one_message_created_event_routed_to_the_chat(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        sent = await tc.core.messages.send(owner, workspace_id, chat_id, content="hi")

        [envelope] = message_events(tc)
        assert isinstance(envelope.event, MessageCreated)
        assert (envelope.aggregate_id, envelope.workspace_id, envelope.chat_id) == (
            sent.message.message.id,
            workspace_id,
            chat_id,
        )
        assert envelope.actor_id == owner.user_id

    async def test_mentions_resolve_to_workspace_members_only(
        self, tc: TestCore, owner: Actor, admin: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        sent = await tc.core.messages.send(
            owner, workspace_id, chat_id, content="@MIA and @adam. but not @oscar or @none"
        )

        assert sent.message.message.mentions == (member.user_id, admin.user_id)

    async def test_the_chat_shows_the_time_of_its_newest_message(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)

        await tc.core.messages.send(owner, workspace_id, chat_id, content="hi")

        last = await tc.adapters.chats.last_message_at([chat_id])
        assert last == {chat_id: tc.clock.now()}

    async def test_attached_files_belong_to_the_message(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        file_id = await upload(tc, owner, workspace_id, chat_id)

        sent = await tc.core.messages.send(
            owner, workspace_id, chat_id, content="plan", attachment_ids=[file_id]
        )

        record = await tc.adapters.files.get(file_id)
        assert record is not None
        assert record.message_id == sent.message.message.id
        [attachment] = sent.message.attachments
        assert attachment.url == f"/api/v1/files/{file_id}/plan.pdf"
        assert (attachment.file_name, attachment.file_size, attachment.mime_type) == (
            "plan.pdf",
            8,
            "application/pdf",
        )

    async def test_sending_moves_the_authors_read_marker(
        self, tc: TestCore, owner: Actor, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id, member)
        await tc.core.messages.send(member, workspace_id, chat_id, content="unread for olivia")
        tc.clock.advance(STEP)

        sent = await tc.core.messages.send(owner, workspace_id, chat_id, content="hi")

        chat = await tc.adapters.chats.get(chat_id)
        assert chat is not None
        summary = await tc.core.read_markers.unread_summary(owner.user_id, [chat])
        assert summary[chat_id] == (0, 0, sent.message.message.id)


class TestThreads:
    async def test_a_reply_to_a_reply_joins_the_thread_of_its_parent(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        root = await tc.core.messages.send(owner, workspace_id, chat_id, content="root")
        reply = await tc.core.messages.send(
            owner, workspace_id, chat_id, content="re", parent_id=root.message.message.id
        )

        nested = await tc.core.messages.send(
            owner, workspace_id, chat_id, content="re re", parent_id=reply.message.message.id
        )

        assert nested.message.message.parent_id == root.message.message.id

    async def test_the_parent_counts_its_live_replies(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        root = await tc.core.messages.send(owner, workspace_id, chat_id, content="root")
        root_id = root.message.message.id
        replies: list[MessageView] = []
        for text in ("one", "two", "three"):
            tc.clock.advance(STEP)
            sent = await tc.core.messages.send(
                owner, workspace_id, chat_id, content=text, parent_id=root_id
            )
            replies.append(sent.message)

        await tc.core.messages.delete(owner, workspace_id, chat_id, replies[2].message.id)

        view = await tc.core.message_reads.get(owner, workspace_id, chat_id, root_id)
        assert view.reply_count == 2
        assert view.last_reply_at == replies[1].message.created_at

    async def test_a_deleted_message_can_still_be_answered(
        self, tc: TestCore, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(tc, owner, workspace_id)
        root = await tc.core.messages.send(owner, workspace_id, chat_id, content="root")
        await tc.core.messages.delete(owner, workspace_id, chat_id, root.message.message.id)

        reply = await tc.core.messages.send(
            owner, workspace_id, chat_id, content="late", parent_id=root.message.message.id
        )

        assert reply.message.message.parent_id == root.message.message.id
