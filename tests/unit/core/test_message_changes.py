import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.events import (
    AggregateType,
    DomainEvent,
    EventEnvelope,
    envelope_from_wire,
    envelope_to_wire,
)
from flowra_core.domain.message import (
    Message,
    MessageAttachment,
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    MessageReactionAdded,
    MessageReactionRemoved,
    MessageType,
    Reaction,
    ReactionGroup,
    add_reaction,
    delete_message,
    edit_message,
    evolve,
    remove_reaction,
    replay,
    send_user_message,
)

SENT = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
LATER = SENT + timedelta(minutes=5)
AUTHOR = "user-alice"
MEMBERS = {"alice": AUTHOR, "bob": "user-bob", "carol": "user-carol"}
PHOTO = MessageAttachment(file_id="file-1", file_name="a.png", file_size=10, mime_type="image/png")


def lookup(username: str) -> str | None:
    return MEMBERS.get(username.lower())


def sent(
    content: str = "hello @bob", *, attachments: tuple[MessageAttachment, ...] = ()
) -> Message:
    return evolve(
        None,
        MessageCreated(
            message_id="msg-1",
            chat_id="chat-1",
            author_id=AUTHOR,
            message_type=MessageType.USER,
            content=content,
            parent_id="msg-top",
            attachments=attachments,
            mentions=("user-bob",),
            created_at=SENT,
        ),
    )


def apply(state: Message, events: list[DomainEvent]) -> Message:
    for event in events:
        state = evolve(state, event)
    return state


def deleted(state: Message) -> Message:
    return apply(state, delete_message(state, deleted_by=AUTHOR, now=LATER))


def edit(state: Message, content: str) -> list[DomainEvent]:
    return edit_message(state, content, edited_by=AUTHOR, lookup_username=lookup, now=LATER)


# Edit


def test_edit_replaces_content_and_recomputes_mentions() -> None:
    events = edit(sent(), "now @carol")

    assert events == [
        MessageEdited(
            message_id="msg-1",
            chat_id="chat-1",
            content="now @carol",
            mentions=("user-carol",),
            edited_by=AUTHOR,
            edited_at=LATER,
        )
    ]
    state = apply(sent(), events)
    assert (state.content, state.mentions, state.edited_at) == (
        "now @carol",
        ("user-carol",),
        LATER,
    )


def test_editing_to_the_same_content_is_a_no_op() -> None:
    assert edit(sent("same"), "same") == []


@pytest.mark.parametrize("content", ["", "   ", "x" * 10_001])
def test_edit_applies_the_content_rules(content: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        edit(sent(), content)

    assert [e.field for e in error.value.errors] == ["content"]


def test_edit_may_empty_the_content_of_a_message_with_attachments() -> None:
    assert [type(e) for e in edit(sent("caption", attachments=(PHOTO,)), "")] == [MessageEdited]


def test_a_deleted_message_cannot_be_edited() -> None:
    with pytest.raises(DomainError) as error:
        edit(deleted(sent()), "again")

    assert error.value.code is ErrorCode.MESSAGE_DELETED


def test_edit_reports_bad_input_before_the_deleted_state() -> None:
    with pytest.raises(ValidationFailed):
        edit(deleted(sent()), "x" * 10_001)


@pytest.mark.parametrize("message_type", [MessageType.SYSTEM, MessageType.BOT])
def test_only_user_messages_can_be_edited(message_type: MessageType) -> None:
    generated = evolve(
        None,
        MessageCreated(
            message_id="msg-2",
            chat_id="chat-1",
            author_id="bot",
            message_type=message_type,
            content="Alice changed status to Done",
            created_at=SENT,
        ),
    )

    with pytest.raises(DomainError) as error:
        edit(generated, "rewritten")

    assert error.value.code is ErrorCode.FORBIDDEN


# Delete


def test_delete_leaves_a_tombstone() -> None:
    state = apply(sent(attachments=(PHOTO,)), add_reaction(sent(), "👍", user_id="user-bob"))

    events = delete_message(state, deleted_by="user-admin", now=LATER)

    assert events == [
        MessageDeleted(
            message_id="msg-1",
            chat_id="chat-1",
            parent_id="msg-top",
            deleted_by="user-admin",
            deleted_at=LATER,
        )
    ]
    tombstone = apply(state, events)
    assert tombstone.is_deleted
    assert (tombstone.content, tombstone.attachments, tombstone.reactions) == ("", (), ())
    assert tombstone.mentions == ()
    assert (tombstone.deleted_at, tombstone.deleted_by) == (LATER, "user-admin")
    assert (tombstone.id, tombstone.parent_id, tombstone.created_at) == ("msg-1", "msg-top", SENT)


def test_a_deleted_message_cannot_be_deleted_again() -> None:
    with pytest.raises(DomainError) as error:
        delete_message(deleted(sent()), deleted_by=AUTHOR, now=LATER)

    assert error.value.code is ErrorCode.MESSAGE_DELETED


# Reactions


def test_add_reaction() -> None:
    events = add_reaction(sent(), "👍", user_id="user-bob")

    assert events == [
        MessageReactionAdded(message_id="msg-1", chat_id="chat-1", user_id="user-bob", emoji="👍")
    ]
    assert apply(sent(), events).reactions == (Reaction(user_id="user-bob", emoji="👍"),)


def test_adding_an_existing_reaction_is_a_no_op() -> None:
    state = apply(sent(), add_reaction(sent(), "👍", user_id="user-bob"))

    assert add_reaction(state, "👍", user_id="user-bob") == []


def test_remove_reaction() -> None:
    state = apply(sent(), add_reaction(sent(), "👍", user_id="user-bob"))

    events = remove_reaction(state, "👍", user_id="user-bob")

    assert events == [
        MessageReactionRemoved(message_id="msg-1", chat_id="chat-1", user_id="user-bob", emoji="👍")
    ]
    assert apply(state, events).reactions == ()


@pytest.mark.parametrize("emoji", ["👍", " 👍"])
def test_removing_an_absent_reaction_is_a_no_op(emoji: str) -> None:
    state = apply(sent(), add_reaction(sent(), "👍", user_id="user-carol"))

    assert remove_reaction(state, emoji, user_id="user-bob") == []


@pytest.mark.parametrize("emoji", ["👍", "+1", "a", "👨‍👩‍👧‍👦", "👍🏽", "x" * 32, "😀" * 32])
def test_valid_emoji(emoji: str) -> None:
    assert len(add_reaction(sent(), emoji, user_id="user-bob")) == 1


@pytest.mark.parametrize("emoji", ["", "x" * 33, "😀" * 33, "👍 ", " ", "a b", "a\tb", "\u00a0"])
def test_invalid_emoji_is_reported_on_field_emoji(emoji: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        add_reaction(sent(), emoji, user_id="user-bob")

    assert [e.field for e in error.value.errors] == ["emoji"]


Decision = Callable[[Message], list[DomainEvent]]


@pytest.mark.parametrize(
    "change",
    [
        lambda m: add_reaction(m, "👍", user_id="user-bob"),
        lambda m: remove_reaction(m, "👍", user_id="user-bob"),
    ],
    ids=["add", "remove"],
)
def test_reactions_on_a_deleted_message_are_refused(change: Decision) -> None:
    with pytest.raises(DomainError) as error:
        change(deleted(sent()))

    assert error.value.code is ErrorCode.MESSAGE_DELETED


def test_an_invalid_emoji_is_reported_before_the_deleted_state() -> None:
    with pytest.raises(ValidationFailed):
        add_reaction(deleted(sent()), "a b", user_id="user-bob")


def test_reactions_keep_first_use_order_grouped_by_emoji() -> None:
    state = sent()
    for user_id, emoji in [("u1", "👍"), ("u2", "🎉"), ("u3", "👍"), ("u1", "🎉")]:
        state = apply(state, add_reaction(state, emoji, user_id=user_id))
    state = apply(state, remove_reaction(state, "👍", user_id="u1"))
    state = apply(state, remove_reaction(state, "👍", user_id="u3"))
    state = apply(state, add_reaction(state, "👍", user_id="u2"))

    assert state.reaction_groups() == (
        ReactionGroup(emoji="🎉", user_ids=("u2", "u1")),
        ReactionGroup(emoji="👍", user_ids=("u2",)),
    )


# Evolve / replay


def test_replay_of_decided_events_matches_step_by_step_evolution() -> None:
    steps: list[Decision] = [
        lambda m: edit(m, "edited @carol"),
        lambda m: add_reaction(m, "👍", user_id="user-bob"),
        lambda m: add_reaction(m, "🎉", user_id="user-carol"),
        lambda m: remove_reaction(m, "👍", user_id="user-bob"),
        lambda m: delete_message(m, deleted_by=AUTHOR, now=LATER),
    ]
    [created] = send_user_message(
        "msg-1", chat_id="chat-1", author_id=AUTHOR, content="hi", lookup_username=lookup, now=SENT
    )
    history = [created]
    state = evolve(None, created)
    for step in steps:
        events = step(state)
        history.extend(events)
        state = apply(state, events)

    assert replay(history) == state
    assert state.version == len(history) == 6


def test_replay_of_nothing_is_none() -> None:
    assert replay([]) is None


def test_evolve_needs_a_created_message_first() -> None:
    with pytest.raises(ValueError, match=r"message\.created"):
        evolve(None, delete_message(sent(), deleted_by=AUTHOR, now=LATER)[0])


def test_the_state_survives_a_snapshot_round_trip() -> None:
    state = apply(sent(attachments=(PHOTO,)), add_reaction(sent(), "👍", user_id="user-bob"))

    assert msgspec.json.decode(msgspec.json.encode(state), type=Message) == state


@pytest.mark.parametrize(
    "event",
    [
        MessageCreated(
            message_id="msg-1",
            chat_id="chat-1",
            author_id=AUTHOR,
            message_type=MessageType.USER,
            content="hi @bob",
            parent_id="msg-top",
            attachments=(PHOTO,),
            mentions=("user-bob",),
            created_at=SENT,
        ),
        MessageEdited(
            message_id="msg-1",
            chat_id="chat-1",
            content="x",
            mentions=(),
            edited_by=AUTHOR,
            edited_at=LATER,
        ),
        MessageDeleted(
            message_id="msg-1",
            chat_id="chat-1",
            parent_id=None,
            deleted_by=AUTHOR,
            deleted_at=LATER,
        ),
        MessageReactionAdded(message_id="msg-1", chat_id="chat-1", user_id=AUTHOR, emoji="👍"),
        MessageReactionRemoved(message_id="msg-1", chat_id="chat-1", user_id=AUTHOR, emoji="👍"),
    ],
    ids=lambda event: event.event_type(),
)
def test_message_events_round_trip_through_the_envelope(event: DomainEvent) -> None:
    envelope = EventEnvelope(
        event_id="event-1",
        aggregate_type=AggregateType.MESSAGE,
        aggregate_id="msg-1",
        version=1,
        workspace_id="ws-1",
        chat_id="chat-1",
        actor_id=AUTHOR,
        occurred_at=SENT,
        event=event,
    )

    wire = json.loads(json.dumps(envelope_to_wire(envelope)))

    assert envelope_from_wire(wire) == envelope
