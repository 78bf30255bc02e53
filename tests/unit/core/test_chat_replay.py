"""Evolve and replay: a chat rebuilt from its stream equals the state built command by command."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from flowra_core.domain.chat import (
    Chat,
    ChatChanges,
    ChatEvent,
    ChatRenamed,
    ChatType,
    NewChat,
    ParticipantRole,
    Status,
    add_attachment,
    add_participant,
    assign,
    change_status,
    close,
    convert,
    create_chat,
    delete,
    evolve,
    join,
    leave,
    remove_attachment,
    remove_due_date,
    rename,
    reopen,
    replay,
    set_description,
    set_due_date,
    set_priority,
    set_severity,
    unassign,
    update_work_item,
)
from flowra_core.domain.events import (
    AggregateType,
    DomainEvent,
    EventEnvelope,
    envelope_from_wire,
    envelope_to_wire,
)

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
CHAT_ID = "7d1e0000-0000-4000-8000-000000000001"
WORKSPACE_ID = "a1f00000-0000-4000-8000-000000000001"
ALICE = "00000000-0000-4000-8000-00000000a11c"
BOB = "00000000-0000-4000-8000-000000000b0b"
CAROL = "00000000-0000-4000-8000-0000000ca201"
DAVE = "00000000-0000-4000-8000-0000000da4e0"
MEMBERS = frozenset({ALICE, BOB, CAROL, DAVE})

Step = Callable[[Chat, datetime], list[DomainEvent]]

STEPS: list[Step] = [
    lambda c, t: rename(c, "Where do we eat?", actor_id=ALICE, now=t),
    lambda c, t: join(c, actor_id=CAROL, now=t),
    lambda c, t: convert(c, "bug", "Login fails on Safari", actor_id=ALICE, now=t),
    lambda c, t: set_severity(c, "Major", actor_id=ALICE, now=t),
    lambda c, t: assign(c, BOB, members=MEMBERS, actor_id=ALICE, now=t),
    lambda c, t: set_due_date(c, "2026-03-01T09:00", actor_id=BOB, now=t),
    lambda c, t: change_status(c, "Fixed", actor_id=BOB, now=t),
    lambda c, t: add_attachment(
        c,
        file_id="f1",
        file_name="trace.txt",
        file_size=10,
        mime_type="text/plain",
        actor_id=BOB,
        now=t,
    ),
    lambda c, t: add_attachment(
        c,
        file_id="f2",
        file_name="shot.png",
        file_size=20,
        mime_type="image/png",
        actor_id=BOB,
        now=t,
    ),
    lambda c, t: remove_attachment(c, "f1", actor_id=BOB, now=t),
    lambda c, t: close(c, actor_id=BOB, now=t),
    lambda c, t: convert(c, "epic", actor_id=ALICE, now=t),
    lambda c, t: reopen(c, actor_id=ALICE, now=t),
    lambda c, t: set_priority(c, "critical", actor_id=ALICE, now=t),
    lambda c, t: set_description(c, "Only on Safari 17", actor_id=ALICE, now=t),
    lambda c, t: update_work_item(
        c,
        ChatChanges(title="Safari login", category="done", priority=None, assignee_id=CAROL),
        members=MEMBERS,
        actor_id=ALICE,
        now=t,
    ),
    lambda c, t: unassign(c, actor_id=ALICE, now=t),
    lambda c, t: remove_due_date(c, actor_id=ALICE, now=t),
    lambda c, t: add_participant(c, DAVE, "admin", members=MEMBERS, actor_id=ALICE, now=t),
    lambda c, t: leave(c, actor_id=ALICE, now=t),
    lambda c, t: delete(c, actor_id=BOB, now=t),
]


def envelope(event: DomainEvent, version: int, at: datetime) -> EventEnvelope:
    return EventEnvelope(
        event_id=f"event-{version}",
        aggregate_type=AggregateType.CHAT,
        aggregate_id=CHAT_ID,
        version=version,
        workspace_id=WORKSPACE_ID,
        chat_id=CHAT_ID,
        actor_id=ALICE,
        occurred_at=at,
        event=event,
    )


def run_story() -> tuple[Chat, list[EventEnvelope]]:
    """Decide every step against the state the previous ones left, one minute apart."""
    draft = NewChat(title="Lunch", participant_ids=(BOB,))
    events = create_chat(draft, workspace_id=WORKSPACE_ID, members=MEMBERS, actor_id=ALICE, now=T0)
    history = [envelope(event, n, T0) for n, event in enumerate(events, start=1)]
    chat = replay(history)
    for minute, step in enumerate(STEPS, start=1):
        assert chat is not None
        at = T0 + timedelta(minutes=minute)
        new_events = step(chat, at)
        assert new_events, f"step {minute} changed nothing"
        for event in new_events:
            history.append(envelope(event, len(history) + 1, at))
            chat = evolve(chat, event, at, chat_id=CHAT_ID)
    assert chat is not None
    return chat, history


def test_the_story_ends_where_expected() -> None:
    chat, history = run_story()
    assert chat.version == len(history)
    assert chat.updated_at == T0 + timedelta(minutes=len(STEPS))
    assert chat.type is ChatType.EPIC
    assert chat.title == "Safari login"
    assert chat.status is Status.COMPLETED
    assert chat.previous_status is None
    assert chat.severity is None
    assert chat.priority is None
    assert chat.assignee_id is None
    assert chat.due_date is None
    assert chat.description == "Only on Safari 17"
    assert [a.file_id for a in chat.attachments] == ["f2"]
    assert [(p.user_id, p.role) for p in chat.participants] == [
        (BOB, ParticipantRole.MEMBER),
        (CAROL, ParticipantRole.MEMBER),
        (DAVE, ParticipantRole.ADMIN),
    ]
    assert chat.is_deleted


def test_replay_equals_the_state_built_step_by_step() -> None:
    chat, history = run_story()
    assert replay(history) == chat


def test_replay_from_a_snapshot_equals_a_full_replay() -> None:
    chat, history = run_story()
    for cut in (2, 10, len(history) - 1):
        assert replay(history[cut:], replay(history[:cut])) == chat


def test_replay_survives_the_wire_and_json() -> None:
    chat, history = run_story()
    decoded = [
        envelope_from_wire(msgspec.json.decode(msgspec.json.encode(envelope_to_wire(e))))
        for e in history
    ]
    assert decoded == history
    assert replay(decoded) == chat


def test_every_chat_event_class_appears_in_the_story() -> None:
    _, history = run_story()
    seen = {type(e.event) for e in history}
    assert seen == set(ChatEvent.__args__)


def test_empty_history_is_no_chat() -> None:
    assert replay([]) is None


def test_an_event_before_creation_is_refused() -> None:
    with pytest.raises(ValueError, match=r"before chat\.created"):
        evolve(
            None, ChatRenamed(old_title="", new_title="x", renamed_by=ALICE), T0, chat_id=CHAT_ID
        )
