"""`PATCH C` (http-api.md "PATCH rules") and its change summaries (tags.md §6)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.domain.chat import ChatChanges, NewChat, ParticipantRole, Priority, Status
from flowra_core.domain.errors import ErrorCode, FlowraError, ValidationFailed
from flowra_core.domain.message import MessageType
from flowra_core.testing.builder import TestCore


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
    messages = await tc.adapters.messages.top_level(chat_id, before=None, limit=100)
    return [m.content for m in reversed(messages) if m.type is MessageType.SYSTEM]


def chat_events(tc: TestCore, chat_id: str) -> list[str]:
    return [e.type for e in tc.adapters.event_store.all_events() if e.aggregate_id == chat_id]


@pytest.fixture
async def bob(tc: TestCore, owner: Actor, workspace_id: str) -> Actor:
    """A second plain member of Acme."""
    bob = await tc.user("bob")
    await tc.core.workspaces.add_member(
        owner, workspace_id, user_id=bob.user_id, username=None, role=None
    )
    return bob


@pytest.fixture
async def task_id(core: FlowraCore, member: Actor, workspace_id: str) -> str:
    """Mia's public task "Ship it" (To Do); Mia is its only participant and admin."""
    view = await core.chats.create(member, workspace_id, NewChat(type="task", title="Ship it"))
    return view.chat.id


@pytest.fixture
async def lobby_id(core: FlowraCore, member: Actor, workspace_id: str) -> str:
    """Mia's public discussion "Lobby"."""
    return (await core.chats.create(member, workspace_id, NewChat(title="Lobby"))).chat.id


class TestPatchRights:
    async def test_renaming_a_discussion_needs_manage(
        self,
        core: FlowraCore,
        member: Actor,
        admin: Actor,
        bob: Actor,
        workspace_id: str,
        lobby_id: str,
    ) -> None:
        await core.chats.join(bob, workspace_id, lobby_id)
        rename = ChatChanges(title="Hall")
        assert await code_of(core.chats.patch(bob, workspace_id, lobby_id, rename)) is (
            ErrorCode.FORBIDDEN
        )
        view = await core.chats.patch(admin, workspace_id, lobby_id, rename)  # ws admin, reader
        assert view.chat.title == "Hall"
        view = await core.chats.patch(member, workspace_id, lobby_id, ChatChanges(title=""))
        assert view.chat.title == ""  # a discussion may be untitled

    async def test_work_item_fields_and_a_typed_title_need_write(
        self,
        core: FlowraCore,
        admin: Actor,
        bob: Actor,
        sysadmin: Actor,
        workspace_id: str,
        task_id: str,
    ) -> None:
        rename = ChatChanges(title="Ship it now")
        for caller in (admin, sysadmin):  # may read (and the admin manage), not write
            assert await code_of(core.chats.patch(caller, workspace_id, task_id, rename)) is (
                ErrorCode.NOT_PARTICIPANT
            )
        await core.chats.join(bob, workspace_id, task_id)
        changes = ChatChanges(title="Ship it now", status="done")
        view = await core.chats.patch(bob, workspace_id, task_id, changes)
        assert (view.chat.title, view.chat.status) == ("Ship it now", Status.DONE)

    async def test_a_private_chat_stays_invisible(
        self, core: FlowraCore, member: Actor, bob: Actor, workspace_id: str
    ) -> None:
        draft = NewChat(type="task", title="Secret", is_public=False)
        chat_id = (await core.chats.create(member, workspace_id, draft)).chat.id
        changes = ChatChanges(priority="High")
        assert await code_of(core.chats.patch(bob, workspace_id, chat_id, changes)) is (
            ErrorCode.CHAT_NOT_FOUND
        )


class TestPatchValidation:
    async def test_work_item_fields_on_a_discussion_are_not_a_work_item(
        self, core: FlowraCore, member: Actor, workspace_id: str, lobby_id: str
    ) -> None:
        changes = ChatChanges(title="Hall", priority="High")
        assert await code_of(core.chats.patch(member, workspace_id, lobby_id, changes)) is (
            ErrorCode.NOT_A_WORK_ITEM
        )

    async def test_severity_is_for_bugs_and_category_picks_the_first_status(
        self, core: FlowraCore, member: Actor, workspace_id: str, task_id: str
    ) -> None:
        patch = core.chats.patch
        severity = ChatChanges(severity="Major")
        assert await invalid_fields(patch(member, workspace_id, task_id, severity)) == ["severity"]
        review = ChatChanges(category="review")  # a task has no review status
        assert await invalid_fields(patch(member, workspace_id, task_id, review)) == ["category"]
        both = ChatChanges(status="Done", category="done")
        assert await invalid_fields(patch(member, workspace_id, task_id, both)) == ["category"]
        view = await patch(member, workspace_id, task_id, ChatChanges(category="IN_PROGRESS"))
        assert view.chat.status is Status.IN_PROGRESS

    async def test_the_whole_patch_is_validated_before_anything_changes(
        self,
        core: FlowraCore,
        tc: TestCore,
        member: Actor,
        outsider: Actor,
        workspace_id: str,
        task_id: str,
    ) -> None:
        changes = ChatChanges(
            title="x" * 201,
            description="d" * 5001,
            status="Shipped",
            priority="urgent",
            assignee_id=outsider.user_id,
            due_date="next week",
        )
        fields = await invalid_fields(core.chats.patch(member, workspace_id, task_id, changes))
        assert fields == ["title", "description", "status", "priority", "assignee_id", "due_date"]
        valid_and_invalid = ChatChanges(status="Done", priority="urgent")
        await invalid_fields(core.chats.patch(member, workspace_id, task_id, valid_and_invalid))
        assert chat_events(tc, task_id) == ["chat.created", "chat.participant_added"]

    async def test_an_empty_patch_is_refused(
        self, core: FlowraCore, member: Actor, workspace_id: str, task_id: str
    ) -> None:
        assert await invalid_fields(
            core.chats.patch(member, workspace_id, task_id, ChatChanges())
        ) == ["body"]


class TestPatchCommit:
    async def test_fields_are_applied_in_the_spec_order_in_one_command(
        self, core: FlowraCore, tc: TestCore, member: Actor, bob: Actor, workspace_id: str
    ) -> None:
        draft = NewChat(type="bug", title="Crash")
        chat_id = (await core.chats.create(member, workspace_id, draft)).chat.id
        changes = ChatChanges(
            due_date="2026-03-01T09:30",
            assignee_id=bob.user_id,
            severity="major",
            priority="critical",
            status="fixed",
            description="Steps:\n1. open",
            title="Crash on start",
        )
        view = await core.chats.patch(member, workspace_id, chat_id, changes)

        assert chat_events(tc, chat_id)[2:] == [
            "chat.renamed",
            "chat.description_set",
            "chat.status_changed",
            "chat.priority_set",
            "chat.severity_set",
            "chat.participant_added",  # Bob was not a participant
            "chat.user_assigned",
            "chat.due_date_set",
        ]
        assert view.chat.due_date == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
        assert view.summary.assignee is not None
        assert view.summary.assignee.display_name == "Bob"
        assert {p.user.username: p.participant.role for p in view.participants}["bob"] is (
            ParticipantRole.MEMBER
        )
        assert await summaries(tc, chat_id) == [
            'Mia changed title to "Crash on start", updated the description, changed status to'
            " Fixed, set priority to Critical, set severity to Major, assigned Bob, and set due"
            " date to 2026-03-01 09:30 UTC"
        ]

    async def test_null_clears_and_equal_values_change_nothing(
        self, core: FlowraCore, tc: TestCore, member: Actor, workspace_id: str, task_id: str
    ) -> None:
        patch = core.chats.patch
        await patch(
            member, workspace_id, task_id, ChatChanges(priority="High", due_date="2026-01-02")
        )
        tc.clock.advance(timedelta(seconds=3))
        same = ChatChanges(title="Ship it", status="To Do", priority="high")
        before = chat_events(tc, task_id)
        view = await patch(member, workspace_id, task_id, same)
        assert chat_events(tc, task_id) == before
        assert view.chat.priority is Priority.HIGH
        cleared = await patch(
            member, workspace_id, task_id, ChatChanges(priority=None, due_date=None)
        )
        assert (cleared.chat.priority, cleared.chat.due_date) == (None, None)
        assert await summaries(tc, task_id) == [
            "Mia set priority to High and set due date to 2026-01-02",
            "Mia removed the priority and removed the due date",
        ]


class TestPatchSummaries:
    async def test_changes_within_two_seconds_merge_into_one_summary(
        self, core: FlowraCore, tc: TestCore, member: Actor, workspace_id: str, task_id: str
    ) -> None:
        """tags.md §6 example: status=Done, then priority=High within 2 s."""
        await core.chats.patch(member, workspace_id, task_id, ChatChanges(status="Done"))
        tc.clock.advance(timedelta(milliseconds=1500))
        await core.chats.patch(member, workspace_id, task_id, ChatChanges(priority="High"))
        assert await summaries(tc, task_id) == [
            "Mia changed status to Done and set priority to High"
        ]

    async def test_a_later_change_or_another_actor_starts_a_new_summary(
        self,
        core: FlowraCore,
        tc: TestCore,
        member: Actor,
        bob: Actor,
        workspace_id: str,
        task_id: str,
    ) -> None:
        await core.chats.join(bob, workspace_id, task_id)
        tc.clock.advance(timedelta(seconds=5))
        await core.chats.patch(member, workspace_id, task_id, ChatChanges(status="Done"))
        tc.clock.advance(timedelta(milliseconds=10))
        await core.chats.patch(bob, workspace_id, task_id, ChatChanges(priority="Low"))
        tc.clock.advance(timedelta(seconds=3))
        await core.chats.patch(bob, workspace_id, task_id, ChatChanges(priority="High"))
        assert await summaries(tc, task_id) == [
            "Bob joined the chat",
            "Mia changed status to Done",
            "Bob set priority to Low",
            "Bob set priority to High",
        ]
