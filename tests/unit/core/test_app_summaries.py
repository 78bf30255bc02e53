"""Change summaries (tags.md §6): the phrase of each REST change, their order within one
request, and merging into the same actor's summary for 2 seconds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import msgspec
import pytest

from flowra_core.app.actor import Actor
from flowra_core.domain.chat import ChatChanges, NewChat
from flowra_core.domain.events import AggregateType
from flowra_core.domain.message import MessageEdited, MessageType
from flowra_core.domain.user import FLOWRA_BOT_ID
from flowra_core.testing.builder import TestCore

PAUSE = timedelta(seconds=3)  # longer than the merge window: the next change starts anew
MOMENT = timedelta(milliseconds=100)  # within the window, yet after the previous message


async def join_workspace(tc: TestCore, owner: Actor, workspace_id: str, username: str) -> Actor:
    actor = await tc.user(username)
    await tc.core.workspaces.add_member(
        owner, workspace_id, user_id=actor.user_id, username=None, role=None
    )
    return actor


@pytest.fixture
async def alice(tc: TestCore, owner: Actor, workspace_id: str) -> Actor:
    return await join_workspace(tc, owner, workspace_id, "alice")


@pytest.fixture
async def bob(tc: TestCore, owner: Actor, workspace_id: str) -> Actor:
    return await join_workspace(tc, owner, workspace_id, "bob")


async def work_item(tc: TestCore, creator: Actor, workspace_id: str, kind: str = "task") -> str:
    view = await tc.core.chats.create(creator, workspace_id, NewChat(type=kind, title="Login"))
    return view.chat.id


async def summaries(tc: TestCore, actor: Actor, workspace_id: str, chat_id: str) -> list[str]:
    """The chat's system messages, oldest first."""
    page = await tc.core.message_reads.list_top_level(
        actor, workspace_id, chat_id, limit=100, cursor=None
    )
    return [
        view.message.content
        for view in reversed(page.items)
        if view.message.type is MessageType.SYSTEM
    ]


async def patch(
    tc: TestCore, actor: Actor, workspace_id: str, chat_id: str, **fields: str | None
) -> None:
    """A REST PATCH with the given body fields."""
    changes = msgspec.convert(fields, ChatChanges)
    await tc.core.chats.patch(actor, workspace_id, chat_id, changes)


class TestPhrases:
    async def test_one_request_makes_one_summary_in_field_order(
        self, tc: TestCore, alice: Actor, bob: Actor, workspace_id: str
    ) -> None:
        chat_id = await work_item(tc, alice, workspace_id, "bug")

        await patch(
            tc,
            alice,
            workspace_id,
            chat_id,
            due_date="2026-03-01",
            assignee_id=bob.user_id,
            severity="major",
            priority="high",
            status="investigating",
            description="Safari only",
            title="Login fails",
        )

        assert await summaries(tc, alice, workspace_id, chat_id) == [
            'Alice changed title to "Login fails", updated the description, changed status to'
            " Investigating, set priority to High, set severity to Major, assigned Bob, and set"
            " due date to 2026-03-01"
        ]

    async def test_clearing_fields(
        self, tc: TestCore, alice: Actor, bob: Actor, workspace_id: str
    ) -> None:
        chat_id = await work_item(tc, alice, workspace_id, "bug")
        await patch(
            tc,
            alice,
            workspace_id,
            chat_id,
            description="x",
            priority="Low",
            severity="Minor",
            assignee_id=bob.user_id,
            due_date="2026-03-01T14:30",
        )
        tc.clock.advance(PAUSE)

        await patch(
            tc,
            alice,
            workspace_id,
            chat_id,
            description="",
            priority=None,
            severity=None,
            assignee_id=None,
            due_date=None,
        )

        first, second = await summaries(tc, alice, workspace_id, chat_id)
        assert first.endswith("assigned Bob, and set due date to 2026-03-01 14:30 UTC")
        assert second == (
            "Alice removed the description, removed the priority, removed the severity,"
            " removed the assignee, and removed the due date"
        )

    async def test_lifecycle_phrases(self, tc: TestCore, alice: Actor, workspace_id: str) -> None:
        chats = tc.core.chats
        chat_id = await work_item(tc, alice, workspace_id, "bug")
        await patch(tc, alice, workspace_id, chat_id, severity="Blocker")
        steps: list[Callable[[], Awaitable[object]]] = [
            lambda: chats.close(alice, workspace_id, chat_id),
            lambda: chats.reopen(alice, workspace_id, chat_id),
            lambda: chats.convert(alice, workspace_id, chat_id, chat_type="task", title=None),
        ]
        for step in steps:
            tc.clock.advance(PAUSE)
            await step()

        assert await summaries(tc, alice, workspace_id, chat_id) == [
            "Alice set severity to Blocker",
            "Alice closed this bug",
            "Alice reopened this bug",
            "Alice converted this chat to a task",
        ]

    async def test_participant_phrases(
        self, tc: TestCore, alice: Actor, bob: Actor, member: Actor, workspace_id: str
    ) -> None:
        chats = tc.core.chats
        chat_id = await work_item(tc, alice, workspace_id)
        steps: list[Callable[[], Awaitable[object]]] = [
            lambda: chats.add_participant(
                alice, workspace_id, chat_id, user_id=bob.user_id, role=None
            ),
            lambda: chats.remove_participant(alice, workspace_id, chat_id, bob.user_id),
            lambda: chats.join(member, workspace_id, chat_id),
            lambda: chats.leave(member, workspace_id, chat_id),
        ]
        for step in steps:
            tc.clock.advance(PAUSE)
            await step()

        assert await summaries(tc, alice, workspace_id, chat_id) == [
            "Alice added Bob",
            "Alice removed Bob",
            "Mia joined the chat",
            "Mia left the chat",
        ]

    async def test_attachment_phrases(self, tc: TestCore, alice: Actor, workspace_id: str) -> None:
        chat_id = await work_item(tc, alice, workspace_id)
        upload = await tc.core.files.upload(
            alice,
            workspace_id,
            chat_id,
            file_name="trace.txt",
            content_type="text/plain",
            data=b"boom",
            max_size=100,
        )
        await tc.core.chats.add_attachment(alice, workspace_id, chat_id, upload.id)
        tc.clock.advance(PAUSE)

        await tc.core.chats.remove_attachment(alice, workspace_id, chat_id, upload.id)

        assert await summaries(tc, alice, workspace_id, chat_id) == [
            "Alice attached trace.txt",
            "Alice removed the attachment trace.txt",
        ]

    async def test_creating_and_messages_are_not_summarised(
        self, tc: TestCore, alice: Actor, workspace_id: str
    ) -> None:
        chat_id = await work_item(tc, alice, workspace_id)

        await tc.core.messages.send(alice, workspace_id, chat_id, content="hello")

        assert await summaries(tc, alice, workspace_id, chat_id) == []

    async def test_leaving_the_workspace_is_not_summarised(
        self, tc: TestCore, owner: Actor, alice: Actor, bob: Actor, workspace_id: str
    ) -> None:
        chat_id = await work_item(tc, alice, workspace_id)
        await tc.core.chats.add_participant(
            alice, workspace_id, chat_id, user_id=bob.user_id, role=None
        )
        tc.clock.advance(PAUSE)

        await tc.core.workspaces.remove_member(owner, workspace_id, bob.user_id)

        assert await summaries(tc, alice, workspace_id, chat_id) == ["Alice added Bob"]

    async def test_a_summary_is_a_system_message_of_the_bot_for_the_actor(
        self, tc: TestCore, alice: Actor, workspace_id: str
    ) -> None:
        chat_id = await work_item(tc, alice, workspace_id)

        await patch(tc, alice, workspace_id, chat_id, status="Done")

        summary = await tc.adapters.messages.newest_top_level(chat_id)
        assert summary is not None
        assert (summary.type, summary.author_id, summary.actor_id, summary.mentions) == (
            MessageType.SYSTEM,
            FLOWRA_BOT_ID,
            alice.user_id,
            (),
        )


class TestCoalescing:
    async def test_two_changes_within_two_seconds_make_one_summary(
        self, tc: TestCore, alice: Actor, workspace_id: str
    ) -> None:
        chat_id = await work_item(tc, alice, workspace_id)

        await patch(tc, alice, workspace_id, chat_id, status="Done")
        tc.clock.advance(timedelta(milliseconds=1999))
        await patch(tc, alice, workspace_id, chat_id, priority="High")

        assert await summaries(tc, alice, workspace_id, chat_id) == [
            "Alice changed status to Done and set priority to High"
        ]
        summary = await tc.adapters.messages.newest_top_level(chat_id)
        assert summary is not None
        assert summary.edited_at == tc.clock.now()
        edits = [
            e
            for e in tc.adapters.event_store.all_events()
            if e.aggregate_type is AggregateType.MESSAGE and isinstance(e.event, MessageEdited)
        ]
        assert len(edits) == 1

    async def test_the_window_counts_from_the_last_update(
        self, tc: TestCore, alice: Actor, workspace_id: str
    ) -> None:
        chat_id = await work_item(tc, alice, workspace_id, "bug")
        for field, value in (("status", "Fixed"), ("priority", "Low"), ("severity", "Minor")):
            await patch(tc, alice, workspace_id, chat_id, **{field: value})
            tc.clock.advance(timedelta(milliseconds=1500))

        assert await summaries(tc, alice, workspace_id, chat_id) == [
            "Alice changed status to Fixed, set priority to Low, and set severity to Minor"
        ]

    async def test_after_two_seconds_a_new_summary_starts(
        self, tc: TestCore, alice: Actor, workspace_id: str
    ) -> None:
        chat_id = await work_item(tc, alice, workspace_id)

        await patch(tc, alice, workspace_id, chat_id, status="Done")
        tc.clock.advance(timedelta(seconds=2))
        await patch(tc, alice, workspace_id, chat_id, priority="High")

        assert await summaries(tc, alice, workspace_id, chat_id) == [
            "Alice changed status to Done",
            "Alice set priority to High",
        ]

    async def test_another_actor_starts_a_new_summary(
        self, tc: TestCore, alice: Actor, bob: Actor, workspace_id: str
    ) -> None:
        chat_id = await work_item(tc, alice, workspace_id)
        await tc.core.chats.add_participant(
            alice, workspace_id, chat_id, user_id=bob.user_id, role=None
        )
        tc.clock.advance(PAUSE)

        await patch(tc, alice, workspace_id, chat_id, status="Done")
        tc.clock.advance(MOMENT)
        await patch(tc, bob, workspace_id, chat_id, priority="High")

        assert await summaries(tc, alice, workspace_id, chat_id) == [
            "Alice added Bob",
            "Alice changed status to Done",
            "Bob set priority to High",
        ]

    async def test_a_later_phrase_for_a_field_replaces_it_in_place(
        self, tc: TestCore, alice: Actor, workspace_id: str
    ) -> None:
        chat_id = await work_item(tc, alice, workspace_id)

        for field, value in (("status", "Done"), ("priority", "High"), ("status", "In Progress")):
            await patch(tc, alice, workspace_id, chat_id, **{field: value})
            tc.clock.advance(MOMENT)

        assert await summaries(tc, alice, workspace_id, chat_id) == [
            "Alice changed status to In Progress and set priority to High"
        ]

    async def test_a_message_in_between_starts_a_new_summary(
        self, tc: TestCore, alice: Actor, workspace_id: str
    ) -> None:
        chat_id = await work_item(tc, alice, workspace_id)

        await patch(tc, alice, workspace_id, chat_id, status="Done")
        tc.clock.advance(MOMENT)
        await tc.core.messages.send(alice, workspace_id, chat_id, content="done!")
        tc.clock.advance(MOMENT)
        await patch(tc, alice, workspace_id, chat_id, priority="High")

        assert await summaries(tc, alice, workspace_id, chat_id) == [
            "Alice changed status to Done",
            "Alice set priority to High",
        ]

    async def test_a_deleted_summary_is_not_extended(
        self, tc: TestCore, alice: Actor, workspace_id: str
    ) -> None:
        chat_id = await work_item(tc, alice, workspace_id)
        await patch(tc, alice, workspace_id, chat_id, status="Done")
        summary = await tc.adapters.messages.newest_top_level(chat_id)
        assert summary is not None
        await tc.core.messages.delete(alice, workspace_id, chat_id, summary.id)
        tc.clock.advance(MOMENT)

        await patch(tc, alice, workspace_id, chat_id, priority="High")

        assert await summaries(tc, alice, workspace_id, chat_id) == [
            "",
            "Alice set priority to High",
        ]
