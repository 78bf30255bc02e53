"""The chat list (`GET W/chats`), the activity journal (`GET C/activity`) and work-item
attachments (`C/attachments`)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.domain.chat import ChatChanges, NewChat
from flowra_core.domain.errors import ErrorCode, FlowraError, ValidationFailed
from flowra_core.domain.message import MessageType
from flowra_core.testing.builder import TestCore

STEP = timedelta(seconds=1)


async def code_of(call: Awaitable[object]) -> ErrorCode | None:
    try:
        await call
    except FlowraError as error:
        return error.code
    return None


async def invalid_fields(call: Awaitable[object]) -> list[str]:
    with pytest.raises(ValidationFailed) as failure:
        await call
    return [error.field for error in failure.value.errors]


async def titles(
    core: FlowraCore,
    actor: Actor,
    ws: str,
    *,
    types: str | None = None,
    q: str | None = None,
    joined: bool = False,
    sort: str | None = None,
) -> list[str]:
    page = await core.chat_reads.list_chats(
        actor, ws, types=types, q=q, joined=joined, sort=sort, limit=None, cursor=None
    )
    return [view.chat.title for view in page.items]


async def create(core: FlowraCore, tc: TestCore, actor: Actor, ws: str, **fields: Any) -> str:
    tc.clock.advance(STEP)
    draft = NewChat(**fields)
    return (await core.chats.create(actor, ws, draft)).chat.id


@pytest.fixture
async def chats(
    core: FlowraCore, tc: TestCore, member: Actor, admin: Actor, workspace_id: str
) -> dict[str, str]:
    """Created a second apart: Mia's "Lobby", "Alpha task" and private "Secret"; Adam's bug
    "beta crash" and private "Admins only"."""
    ws = workspace_id
    return {
        "Lobby": await create(core, tc, member, ws, title="Lobby"),
        "Alpha task": await create(core, tc, member, ws, type="task", title="Alpha task"),
        "Secret": await create(core, tc, member, ws, title="Secret", is_public=False),
        "beta crash": await create(core, tc, admin, ws, type="bug", title="beta crash"),
        "Admins only": await create(core, tc, admin, ws, title="Admins only", is_public=False),
    }


class TestListChats:
    async def test_readable_chats_by_latest_activity(
        self,
        core: FlowraCore,
        tc: TestCore,
        member: Actor,
        sysadmin: Actor,
        workspace_id: str,
        chats: dict[str, str],
    ) -> None:
        ws = workspace_id
        assert await titles(core, member, ws) == ["beta crash", "Secret", "Alpha task", "Lobby"]
        tc.clock.advance(STEP)
        await core.chats.patch(member, ws, chats["Alpha task"], ChatChanges(priority="Low"))
        tc.clock.advance(STEP)
        await tc.adapters.chats.set_last_message_at(chats["Lobby"], tc.clock.now())
        assert await titles(core, member, ws) == ["Lobby", "Alpha task", "beta crash", "Secret"]
        assert len(await titles(core, sysadmin, ws)) == 5

    async def test_filters_by_type_title_and_participation(
        self, core: FlowraCore, member: Actor, workspace_id: str, chats: dict[str, str]
    ) -> None:
        ws = workspace_id
        assert await titles(core, member, ws, types="task, BUG") == ["beta crash", "Alpha task"]
        assert await titles(core, member, ws, q="A") == ["beta crash", "Alpha task"]
        assert await titles(core, member, ws, q=" ALPHA ") == ["Alpha task"]
        assert await titles(core, member, ws, joined=True, sort="title") == [
            "Alpha task",
            "Lobby",
            "Secret",
        ]
        assert await invalid_fields(titles(core, member, ws, types="task,story")) == ["type"]
        assert await invalid_fields(titles(core, member, ws, sort="-title")) == ["sort"]

    async def test_sorts_by_creation_and_title(
        self, core: FlowraCore, admin: Actor, workspace_id: str, chats: dict[str, str]
    ) -> None:
        assert await titles(core, admin, workspace_id, sort="-created_at") == [
            "Admins only",
            "beta crash",
            "Alpha task",
            "Lobby",
        ]
        assert await titles(core, admin, workspace_id, sort="title") == [
            "Admins only",
            "Alpha task",
            "beta crash",
            "Lobby",
        ]

    async def test_pages_continue_where_they_stopped_and_cursors_fit_one_list(
        self,
        core: FlowraCore,
        tc: TestCore,
        member: Actor,
        workspace_id: str,
        chats: dict[str, str],
    ) -> None:
        ws = workspace_id
        list_chats = core.chat_reads.list_chats
        first = await list_chats(
            member, ws, types=None, q=None, joined=False, sort="-created_at", limit=3, cursor=None
        )
        await create(core, tc, member, ws, title="Newest")  # sorts before the cursor
        second = await list_chats(
            member,
            ws,
            types=None,
            q=None,
            joined=False,
            sort="-created_at",
            limit=3,
            cursor=first.next_cursor,
        )
        assert [v.chat.title for v in first.items] == ["beta crash", "Secret", "Alpha task"]
        assert [v.chat.title for v in second.items] == ["Lobby"]
        assert second.next_cursor is None
        assert await invalid_fields(
            list_chats(
                member,
                ws,
                types=None,
                q=None,
                joined=False,
                sort=None,
                limit=3,
                cursor=first.next_cursor,
            )
        ) == ["cursor"]

    async def test_summaries_show_the_callers_role_and_participant_count(
        self, core: FlowraCore, admin: Actor, workspace_id: str, chats: dict[str, str]
    ) -> None:
        page = await core.chat_reads.list_chats(
            admin,
            workspace_id,
            types="bug,discussion",
            q=None,
            joined=False,
            sort="title",
            limit=None,
            cursor=None,
        )
        assert [(v.chat.title, v.my_role, v.participant_count) for v in page.items] == [
            ("Admins only", "admin", 1),
            ("beta crash", "admin", 1),
            ("Lobby", None, 1),
        ]
        assert [v.read.unread_count for v in page.items] == [0, 0, 0]

    async def test_unread_counts_and_activity_follow_messages(
        self,
        core: FlowraCore,
        tc: TestCore,
        member: Actor,
        admin: Actor,
        workspace_id: str,
        chats: dict[str, str],
    ) -> None:
        lobby = chats["Lobby"]
        await core.chats.join(admin, workspace_id, lobby)
        tc.clock.advance(STEP)
        await core.messages.send(admin, workspace_id, lobby, content="Hello @mia")
        tc.clock.advance(STEP)
        await core.messages.send(admin, workspace_id, lobby, content="Lunch?")

        page = await core.chat_reads.list_chats(
            member, workspace_id, types=None, q=None, joined=True, sort=None, limit=1, cursor=None
        )
        [first] = page.items
        assert (first.chat.title, first.last_message_at) == ("Lobby", tc.clock.now())
        # "Adam joined the chat" and both messages; one mentions Mia.
        assert (first.read.unread_count, first.read.mention_count) == (3, 1)
        state = await core.read_markers.mark_read(member, workspace_id, lobby)
        view = await core.chat_reads.get(member, workspace_id, lobby)
        assert (view.summary.read.unread_count, view.summary.read.mention_count) == (0, 0)
        assert view.summary.read.last_read_message_id == state.last_read_message_id


class TestActivity:
    async def test_chat_events_newest_first_in_pages_and_by_type(
        self,
        core: FlowraCore,
        member: Actor,
        admin: Actor,
        workspace_id: str,
        chats: dict[str, str],
    ) -> None:
        chat_id = chats["Alpha task"]
        await core.chats.patch(member, workspace_id, chat_id, ChatChanges(status="Done"))
        await core.chats.patch(member, workspace_id, chat_id, ChatChanges(priority="High"))
        activity = core.chat_reads.activity
        first = await activity(admin, workspace_id, chat_id, types=None, limit=2, cursor=None)
        assert [e.type for e in first.items] == ["chat.priority_set", "chat.status_changed"]
        rest = await activity(
            admin, workspace_id, chat_id, types=None, limit=2, cursor=first.next_cursor
        )
        assert [e.type for e in rest.items] == ["chat.participant_added", "chat.created"]
        assert rest.next_cursor is None
        only = await activity(
            admin,
            workspace_id,
            chat_id,
            types="chat.created,chat.status_changed",
            limit=None,
            cursor=None,
        )
        assert [(e.type, e.version) for e in only.items] == [
            ("chat.status_changed", 3),
            ("chat.created", 1),
        ]

    async def test_unknown_types_and_unreadable_chats(
        self, core: FlowraCore, admin: Actor, workspace_id: str, chats: dict[str, str]
    ) -> None:
        activity = core.chat_reads.activity
        assert await invalid_fields(
            activity(
                admin,
                workspace_id,
                chats["Lobby"],
                types="message.created",
                limit=None,
                cursor=None,
            )
        ) == ["type"]
        assert await code_of(
            activity(admin, workspace_id, chats["Secret"], types=None, limit=None, cursor=None)
        ) is (ErrorCode.CHAT_NOT_FOUND)


class TestAttachments:
    async def _upload(self, core: FlowraCore, actor: Actor, ws: str, chat_id: str) -> str:
        view = await core.files.upload(
            actor, ws, chat_id, file_name="plan.pdf", content_type=None, data=b"%PDF", max_size=99
        )
        return view.id

    async def test_attach_and_detach_files_uploaded_to_the_chat(
        self,
        core: FlowraCore,
        tc: TestCore,
        member: Actor,
        workspace_id: str,
        chats: dict[str, str],
    ) -> None:
        chat_id = chats["Alpha task"]
        file_id = await self._upload(core, member, workspace_id, chat_id)
        view = await core.chats.add_attachment(member, workspace_id, chat_id, file_id)
        again = await core.chats.add_attachment(member, workspace_id, chat_id, file_id)
        assert [a.attachment.file_name for a in again.attachments] == ["plan.pdf"]
        assert again.chat.version == view.chat.version
        tc.clock.advance(STEP * 3)
        await core.chats.remove_attachment(member, workspace_id, chat_id, file_id)
        assert (await core.chat_reads.get(member, workspace_id, chat_id)).attachments == ()
        assert await code_of(
            core.chats.remove_attachment(member, workspace_id, chat_id, file_id)
        ) is (ErrorCode.ATTACHMENT_NOT_FOUND)
        messages = await tc.adapters.messages.top_level(chat_id, before=None, limit=10)
        assert [m.content for m in reversed(messages) if m.type is MessageType.SYSTEM] == [
            "Mia attached plan.pdf",
            "Mia removed the attachment plan.pdf",
        ]

    async def test_refusals(
        self,
        core: FlowraCore,
        member: Actor,
        admin: Actor,
        workspace_id: str,
        chats: dict[str, str],
    ) -> None:
        ws = workspace_id
        lobby_file = await self._upload(core, member, ws, chats["Lobby"])
        task_id = chats["Alpha task"]
        assert await invalid_fields(core.chats.add_attachment(member, ws, task_id, lobby_file)) == [
            "file_id"
        ]
        assert await invalid_fields(core.chats.add_attachment(member, ws, task_id, "nope")) == [
            "file_id"
        ]
        assert await code_of(core.chats.add_attachment(member, ws, chats["Lobby"], lobby_file)) is (
            ErrorCode.NOT_A_WORK_ITEM
        )
        assert await code_of(core.chats.add_attachment(admin, ws, task_id, lobby_file)) is (
            ErrorCode.NOT_PARTICIPANT
        )
