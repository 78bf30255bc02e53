from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.domain.message import (
    SUMMARY_MERGE_WINDOW,
    Message,
    MessageCreated,
    MessageEdited,
    MessageType,
    can_extend_summary,
    create_bot_reply,
    create_system_summary,
    delete_message,
    evolve,
    revise_system_summary,
    send_user_message,
)
from flowra_core.domain.user import FLOWRA_BOT_ID

NOW = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
ALICE = "user-alice"


def user_message(*, parent_id: str | None) -> Message:
    parent = None
    if parent_id is not None:
        parent = Message(
            id=parent_id,
            chat_id="chat-1",
            author_id=ALICE,
            type=MessageType.USER,
            content="top",
            created_at=NOW,
        )
    [created] = send_user_message(
        "msg-user",
        chat_id="chat-1",
        author_id=ALICE,
        content="#status Done @bob",
        parent_id=parent_id,
        parent=parent,
        lookup_username=lambda _: "user-bob",
        now=NOW,
    )
    return evolve(None, created)


def summary(*, actor_id: str = ALICE, created_at: datetime = NOW) -> Message:
    [created] = create_system_summary(
        "msg-summary",
        chat_id="chat-1",
        actor_id=actor_id,
        content="Alice changed status to Done",
        now=created_at,
    )
    return evolve(None, created)


@pytest.mark.parametrize("parent_id", [None, "msg-top"], ids=["top level", "in a thread"])
def test_bot_reply_answers_in_the_thread_of_the_user_message(parent_id: str | None) -> None:
    source = user_message(parent_id=parent_id)

    events = create_bot_reply(
        "msg-bot", source=source, content="✅ Status changed to Done", now=NOW
    )

    assert events == [
        MessageCreated(
            message_id="msg-bot",
            chat_id="chat-1",
            author_id=FLOWRA_BOT_ID,
            message_type=MessageType.BOT,
            content="✅ Status changed to Done",
            parent_id=parent_id,
            source_message_id="msg-user",
            created_at=NOW,
        )
    ]


def test_a_system_summary_is_written_by_the_bot_for_the_actor() -> None:
    state = summary()

    assert (state.type, state.author_id, state.actor_id) == (
        MessageType.SYSTEM,
        FLOWRA_BOT_ID,
        ALICE,
    )
    assert (state.parent_id, state.mentions, state.source_message_id) == (None, (), None)


def test_generated_messages_mention_nobody() -> None:
    [created] = create_bot_reply(
        "msg-bot", source=user_message(parent_id=None), content="✅ Assigned to @bob", now=NOW
    )

    assert isinstance(created, MessageCreated)
    assert created.mentions == ()


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (timedelta(0), True),
        (SUMMARY_MERGE_WINDOW - timedelta(milliseconds=1), True),
        (SUMMARY_MERGE_WINDOW, False),
        (timedelta(minutes=1), False),
    ],
)
def test_a_summary_is_extended_within_two_seconds_of_its_last_update(
    elapsed: timedelta, expected: bool
) -> None:
    assert can_extend_summary(summary(), actor_id=ALICE, now=NOW + elapsed) is expected


def test_the_merge_window_counts_from_the_last_edit() -> None:
    edited = NOW + timedelta(seconds=10)
    state = evolve(
        summary(), revise_system_summary(summary(), "Alice x and y", actor_id=ALICE, now=edited)[0]
    )

    assert can_extend_summary(state, actor_id=ALICE, now=edited + timedelta(seconds=1))


@pytest.mark.parametrize(
    "newest",
    [
        None,
        summary(actor_id="user-bob"),
        user_message(parent_id=None),
        evolve(summary(), delete_message(summary(), deleted_by=ALICE, now=NOW)[0]),
    ],
    ids=["no message", "another actor", "user message", "deleted summary"],
)
def test_only_a_live_summary_of_the_same_actor_is_extended(newest: Message | None) -> None:
    assert not can_extend_summary(newest, actor_id=ALICE, now=NOW)


def test_revising_a_summary_edits_it() -> None:
    later = NOW + timedelta(seconds=1)
    content = "Alice changed status to Done and set priority to High"

    events = revise_system_summary(summary(), content, actor_id=ALICE, now=later)

    assert events == [
        MessageEdited(
            message_id="msg-summary",
            chat_id="chat-1",
            content=content,
            mentions=(),
            edited_by=ALICE,
            edited_at=later,
        )
    ]


def test_revising_a_summary_to_its_own_text_is_a_no_op() -> None:
    assert revise_system_summary(summary(), summary().content, actor_id=ALICE, now=NOW) == []


def test_only_summaries_are_revised() -> None:
    with pytest.raises(DomainError) as error:
        revise_system_summary(user_message(parent_id=None), "x", actor_id=ALICE, now=NOW)

    assert error.value.code is ErrorCode.FORBIDDEN


def test_a_deleted_summary_is_not_revised() -> None:
    tombstone = evolve(summary(), delete_message(summary(), deleted_by=ALICE, now=NOW)[0])

    with pytest.raises(DomainError) as error:
        revise_system_summary(tombstone, "x", actor_id=ALICE, now=NOW)

    assert error.value.code is ErrorCode.MESSAGE_DELETED
