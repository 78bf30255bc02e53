"""Chat and work-item use cases (http-api.md "Chats and work items", domain.md §3): create,
quick-create and read one chat, with the authorization rules of http-api.md §3."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.domain.chat import (
    ChatType,
    NewChat,
    ParticipantRole,
    Priority,
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


class TestCreate:
    async def test_a_member_creates_a_public_discussion_and_administers_it(
        self, core: FlowraCore, tc: TestCore, member: Actor, workspace_id: str
    ) -> None:
        view = await core.chats.create(member, workspace_id, NewChat(title="  Lunch  "))

        chat = view.chat
        assert (chat.type, chat.title, chat.is_public) == (ChatType.DISCUSSION, "Lunch", True)
        assert chat.status is None
        assert view.summary.category is None
        assert view.summary.my_role is ParticipantRole.ADMIN
        assert [(p.user.username, p.participant.role) for p in view.participants] == [
            ("mia", ParticipantRole.ADMIN)
        ]
        assert (view.permissions.can_read, view.permissions.can_write) == (True, True)
        assert view.permissions.can_manage
        assert chat_events(tc, chat.id) == ["chat.created", "chat.participant_added"]
        assert await summaries(tc, chat.id) == []

    async def test_extra_participants_join_as_members_and_an_assignee_too(
        self, core: FlowraCore, owner: Actor, admin: Actor, member: Actor, workspace_id: str
    ) -> None:
        draft = NewChat(
            type="BUG",
            title="Crash",
            participant_ids=[admin.user_id],
            status="investigating",
            priority="high",
            severity="blocker",
            assignee_id=member.user_id,
            due_date="2026-03-01",
            is_public=False,
        )
        view = await core.chats.create(owner, workspace_id, draft)

        chat = view.chat
        assert (chat.type, chat.status, chat.priority) == (
            ChatType.BUG,
            Status.INVESTIGATING,
            Priority.HIGH,
        )
        assert chat.due_date == datetime(2026, 3, 1, tzinfo=UTC)
        assert view.summary.category is StatusCategory.IN_PROGRESS
        assert view.summary.assignee is not None
        assert view.summary.assignee.username == "mia"
        assert {p.user.username: p.participant.role for p in view.participants} == {
            "olivia": ParticipantRole.ADMIN,
            "adam": ParticipantRole.MEMBER,
            "mia": ParticipantRole.MEMBER,
        }
        assert view.summary.participant_count == 3
        assert not chat.is_public

    async def test_typed_fields_on_a_discussion_are_refused(
        self, core: FlowraCore, member: Actor, workspace_id: str
    ) -> None:
        draft = NewChat(title="Chat", status="Done", priority="High")
        fields = await invalid_fields(core.chats.create(member, workspace_id, draft))
        assert fields == ["status", "priority"]

    async def test_participants_must_be_workspace_members_and_at_most_100(
        self, core: FlowraCore, member: Actor, admin: Actor, outsider: Actor, workspace_id: str
    ) -> None:
        draft = NewChat(participant_ids=[admin.user_id, outsider.user_id])
        assert await invalid_fields(core.chats.create(member, workspace_id, draft)) == [
            "participant_ids[1]"
        ]
        crowd = NewChat(participant_ids=[admin.user_id] * 101)
        assert await invalid_fields(core.chats.create(member, workspace_id, crowd)) == [
            "participant_ids"
        ]

    async def test_only_members_create(
        self, core: FlowraCore, outsider: Actor, sysadmin: Actor, workspace_id: str
    ) -> None:
        draft = NewChat(title="x")
        assert (
            await code_of(core.chats.create(sysadmin, workspace_id, draft)) is ErrorCode.FORBIDDEN
        )
        assert (
            await code_of(core.chats.create(outsider, workspace_id, draft))
            is ErrorCode.WORKSPACE_NOT_FOUND
        )


class TestCreateTask:
    async def test_quick_create_defaults_to_a_task_in_to_do(
        self, core: FlowraCore, member: Actor, workspace_id: str
    ) -> None:
        view = await core.chats.create_task(member, workspace_id, NewChat(title="Write docs"))
        assert (view.chat.type, view.chat.status) == (ChatType.TASK, Status.TO_DO)
        assert view.summary.category is StatusCategory.TODO

    async def test_a_discussion_or_a_missing_title_is_refused(
        self, core: FlowraCore, member: Actor, workspace_id: str
    ) -> None:
        draft = NewChat(type="discussion", title="x")
        assert await invalid_fields(core.chats.create_task(member, workspace_id, draft)) == ["type"]
        untitled = NewChat(type="epic")
        assert await invalid_fields(core.chats.create_task(member, workspace_id, untitled)) == [
            "title"
        ]


class TestGet:
    async def test_private_chats_are_invisible_to_non_participants(
        self,
        core: FlowraCore,
        member: Actor,
        admin: Actor,
        sysadmin: Actor,
        outsider: Actor,
        workspace_id: str,
    ) -> None:
        chat_id = await discussion(core, member, workspace_id, is_public=False)
        assert await code_of(core.chat_reads.get(admin, workspace_id, chat_id)) is CNF
        assert (
            await code_of(core.chat_reads.get(outsider, workspace_id, chat_id))
            is ErrorCode.WORKSPACE_NOT_FOUND
        )
        seen = await core.chat_reads.get(sysadmin, workspace_id, chat_id)
        assert seen.permissions.can_read
        assert not seen.permissions.can_write
        assert seen.summary.my_role is None

    async def test_a_chat_of_another_workspace_is_not_found(
        self, core: FlowraCore, owner: Actor, workspace_id: str
    ) -> None:
        other = (await core.workspaces.create(owner, name="Other", description=None)).workspace
        chat_id = await discussion(core, owner, other.id)
        assert await code_of(core.chat_reads.get(owner, workspace_id, chat_id)) is CNF
        assert await code_of(core.chat_reads.get(owner, workspace_id, "no-such-chat")) is CNF

    async def test_rights_follow_the_callers_role(
        self, core: FlowraCore, member: Actor, admin: Actor, owner: Actor, workspace_id: str
    ) -> None:
        chat_id = await discussion(core, member, workspace_id)
        as_admin = await core.chat_reads.get(admin, workspace_id, chat_id)
        assert as_admin.permissions.can_read
        assert as_admin.permissions.can_manage
        assert not as_admin.permissions.can_write
        await core.chats.join(owner, workspace_id, chat_id)
        as_owner = await core.chat_reads.get(owner, workspace_id, chat_id)
        assert as_owner.permissions.can_write
        assert as_owner.permissions.can_manage
        assert as_owner.summary.my_role is ParticipantRole.MEMBER

    async def test_the_work_item_view_shows_overdue_previous_status_and_attachments(
        self, core: FlowraCore, tc: TestCore, member: Actor, workspace_id: str
    ) -> None:
        chat_id = await task(core, member, workspace_id, due_date="2020-01-01")
        upload = await core.files.upload(
            member,
            workspace_id,
            chat_id,
            file_name="plan v2.pdf",
            content_type=None,
            data=b"%PDF",
            max_size=1000,
        )
        await core.chats.add_attachment(member, workspace_id, chat_id, upload.id)
        view = await core.chats.close(member, workspace_id, chat_id)

        assert view.summary.is_overdue is False  # closed: done category
        assert view.chat.previous_status is Status.TO_DO
        [attachment] = view.attachments
        assert attachment.url == f"/api/v1/files/{upload.id}/plan%20v2.pdf"
        assert attachment.attachment.added_by == member.user_id
        reopened = await core.chats.reopen(member, workspace_id, chat_id)
        assert reopened.summary.is_overdue is True
