"""Chat lifecycle use cases (http-api.md "Chats and work items", domain.md §3): delete,
convert, close and reopen, with their rights and change summaries (tags.md §6)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.domain.chat import (
    ChatType,
    NewChat,
    Status,
    StatusCategory,
)
from flowra_core.domain.errors import ErrorCode, FlowraError, ValidationFailed
from flowra_core.domain.message import MessageType
from flowra_core.testing.builder import TestCore

CNF = ErrorCode.CHAT_NOT_FOUND


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


async def summaries(tc: TestCore, chat_id: str) -> list[str]:
    """The chat's change summaries (system messages), oldest first."""
    messages = await tc.adapters.messages.top_level(chat_id, before=None, limit=100)
    return [m.content for m in reversed(messages) if m.type is MessageType.SYSTEM]


def chat_events(tc: TestCore, chat_id: str) -> list[str]:
    return [e.type for e in tc.adapters.event_store.all_events() if e.aggregate_id == chat_id]


async def discussion(core: FlowraCore, actor: Actor, ws: str, **fields: Any) -> str:
    view = await core.chats.create(actor, ws, NewChat(title="Lobby", **fields))
    return view.chat.id


async def task(core: FlowraCore, actor: Actor, ws: str, **fields: Any) -> str:
    draft = NewChat(type="task", title="Ship it", **fields)
    return (await core.chats.create(actor, ws, draft)).chat.id


class TestDelete:
    async def test_manage_is_needed(
        self, core: FlowraCore, member: Actor, owner: Actor, admin: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(core, member, workspace_id)
        await core.chats.join(owner, workspace_id, chat_id)
        assert await code_of(core.chats.delete(owner, workspace_id, chat_id)) is None
        other = await discussion(core, admin, workspace_id)
        await core.chats.join(member, workspace_id, other)
        assert await code_of(core.chats.delete(member, workspace_id, other)) is ErrorCode.FORBIDDEN

    async def test_a_deleted_chat_is_gone_everywhere_and_not_summarised(
        self, core: FlowraCore, tc: TestCore, member: Actor, admin: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(core, member, workspace_id)
        await core.chats.delete(admin, workspace_id, chat_id)  # ws admin: manage via read

        assert await code_of(core.chat_reads.get(member, workspace_id, chat_id)) is CNF
        assert await code_of(core.chats.delete(member, workspace_id, chat_id)) is CNF
        listed = await core.chat_reads.list_chats(
            member,
            workspace_id,
            types=None,
            q=None,
            joined=False,
            sort=None,
            limit=None,
            cursor=None,
        )
        assert listed.items == []
        assert chat_events(tc, chat_id)[-1] == "chat.deleted"
        assert await summaries(tc, chat_id) == []


class TestConvert:
    async def test_a_discussion_becomes_a_task_with_a_title(
        self, core: FlowraCore, tc: TestCore, member: Actor, workspace_id: str
    ) -> None:
        chat_id = (await core.chats.create(member, workspace_id, NewChat())).chat.id
        view = await core.chats.convert(
            member, workspace_id, chat_id, chat_type="Task", title="Plan the trip"
        )
        assert (view.chat.type, view.chat.title, view.chat.status) == (
            ChatType.TASK,
            "Plan the trip",
            Status.TO_DO,
        )
        assert chat_events(tc, chat_id)[-1] == "chat.type_changed"
        assert await summaries(tc, chat_id) == ["Mia converted this chat to a task"]

    async def test_typed_to_typed_maps_the_status_by_category(
        self, core: FlowraCore, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await task(core, member, workspace_id, status="Done")
        view = await core.chats.convert(member, workspace_id, chat_id, chat_type="bug", title=None)
        assert (view.chat.type, view.chat.status) == (ChatType.BUG, Status.VERIFIED)

    async def test_refusals(
        self, core: FlowraCore, member: Actor, admin: Actor, workspace_id: str
    ) -> None:
        untitled = (await core.chats.create(member, workspace_id, NewChat())).chat.id
        convert = core.chats.convert
        assert await invalid_fields(
            convert(member, workspace_id, untitled, chat_type="task", title=None)
        ) == ["title"]
        assert await invalid_fields(
            convert(member, workspace_id, untitled, chat_type="discussion", title="x")
        ) == ["type"]
        chat_id = await task(core, member, workspace_id)
        assert (
            await code_of(convert(member, workspace_id, chat_id, chat_type="task", title=None))
            is ErrorCode.ALREADY_THIS_TYPE
        )
        await core.chats.join(admin, workspace_id, chat_id)
        assert (
            await code_of(convert(admin, workspace_id, chat_id, chat_type="epic", title=None))
            is None
        )
        owned = await task(core, admin, workspace_id)
        await core.chats.join(member, workspace_id, owned)
        assert (
            await code_of(convert(member, workspace_id, owned, chat_type="bug", title=None))
            is ErrorCode.FORBIDDEN
        )


class TestCloseAndReopen:
    async def test_reopen_restores_the_status_held_before_close(
        self, core: FlowraCore, tc: TestCore, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await task(core, member, workspace_id, status="In Progress")
        closed = await core.chats.close(member, workspace_id, chat_id)
        assert (closed.chat.status, closed.summary.category) == (Status.CLOSED, StatusCategory.DONE)
        tc.clock.advance(timedelta(seconds=5))
        reopened = await core.chats.reopen(member, workspace_id, chat_id)
        assert reopened.chat.status is Status.IN_PROGRESS
        assert reopened.chat.previous_status is None
        assert await summaries(tc, chat_id) == ["Mia closed this task", "Mia reopened this task"]

    async def test_state_and_type_refusals(
        self, core: FlowraCore, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await task(core, member, workspace_id)
        assert await code_of(core.chats.reopen(member, workspace_id, chat_id)) is (
            ErrorCode.CHAT_NOT_CLOSED
        )
        await core.chats.close(member, workspace_id, chat_id)
        assert await code_of(core.chats.close(member, workspace_id, chat_id)) is (
            ErrorCode.CHAT_ALREADY_CLOSED
        )
        lobby = await discussion(core, member, workspace_id)
        assert await code_of(core.chats.close(member, workspace_id, lobby)) is (
            ErrorCode.NOT_A_WORK_ITEM
        )

    async def test_write_means_participant(
        self, core: FlowraCore, member: Actor, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await task(core, member, workspace_id)
        assert await code_of(core.chats.close(owner, workspace_id, chat_id)) is (
            ErrorCode.NOT_PARTICIPANT
        )
        await core.chats.join(owner, workspace_id, chat_id)
        assert await code_of(core.chats.close(owner, workspace_id, chat_id)) is None
