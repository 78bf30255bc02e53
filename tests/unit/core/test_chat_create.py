"""Creating chats and work items: defaults, field rules, participants, and their events."""

from datetime import UTC, datetime

import pytest
from msgspec.structs import replace

from flowra_core.domain.chat import (
    Chat,
    ChatCreated,
    ChatParticipantAdded,
    ChatType,
    NewChat,
    Participant,
    ParticipantRole,
    Priority,
    Severity,
    Status,
    create_chat,
    replay,
)
from flowra_core.domain.errors import ValidationFailed
from flowra_core.domain.events import AggregateType, DomainEvent, EventEnvelope

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
CHAT_ID = "7d1e0000-0000-4000-8000-000000000001"
WORKSPACE_ID = "a1f00000-0000-4000-8000-000000000001"
ALICE = "00000000-0000-4000-8000-00000000a11c"
BOB = "00000000-0000-4000-8000-000000000b0b"
CAROL = "00000000-0000-4000-8000-0000000ca201"
OUTSIDER = "00000000-0000-4000-8000-00000000000f"
MEMBERS = frozenset({ALICE, BOB, CAROL})
TASK = NewChat(type="task", title="Fix Safari login")
BUG = NewChat(type="bug", title="Crash on save")
DISCUSSION = NewChat(title="Lunch")


def field_names(failure: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [error.field for error in failure.value.errors]


def make_chat(draft: NewChat) -> Chat:
    events = create(draft)
    chat = replay(
        EventEnvelope(
            event_id=f"event-{version}",
            aggregate_type=AggregateType.CHAT,
            aggregate_id=CHAT_ID,
            version=version,
            workspace_id=WORKSPACE_ID,
            chat_id=CHAT_ID,
            actor_id=ALICE,
            occurred_at=T0,
            event=event,
        )
        for version, event in enumerate(events, start=1)
    )
    assert chat is not None
    return chat


def create(draft: NewChat, *, work_item_only: bool = False) -> list[DomainEvent]:
    return create_chat(
        draft,
        workspace_id=WORKSPACE_ID,
        members=MEMBERS,
        actor_id=ALICE,
        now=T0,
        work_item_only=work_item_only,
    )


def added(events: list[DomainEvent]) -> list[tuple[str, ParticipantRole]]:
    return [(e.user_id, e.role) for e in events if isinstance(e, ChatParticipantAdded)]


def test_discussion_by_default_with_the_creator_as_admin() -> None:
    events = create(NewChat())
    assert events == [
        ChatCreated(
            workspace_id=WORKSPACE_ID,
            chat_type=ChatType.DISCUSSION,
            title="",
            is_public=True,
            created_by=ALICE,
            created_at=T0,
        ),
        ChatParticipantAdded(
            user_id=ALICE, role=ParticipantRole.ADMIN, added_by=ALICE, joined_at=T0
        ),
    ]
    chat = make_chat(NewChat())
    assert chat.id == CHAT_ID
    assert chat.type is ChatType.DISCUSSION
    assert chat.status is None
    assert chat.participants == (
        Participant(user_id=ALICE, role=ParticipantRole.ADMIN, joined_at=T0),
    )
    assert chat.version == 2
    assert chat.updated_at == T0


@pytest.mark.parametrize(
    ("chat_type", "status"), [("task", Status.TO_DO), ("bug", Status.NEW), ("EPIC", Status.PLANNED)]
)
def test_work_items_start_in_their_default_status(chat_type: str, status: Status) -> None:
    chat = make_chat(NewChat(type=chat_type, title="Something"))
    assert chat.status is status
    assert chat.previous_status is None
    assert chat.description == ""


def test_work_item_with_every_field() -> None:
    draft = replace(
        BUG,
        title="  Crash on save  ",
        description="  Steps:\n1. save  ",
        is_public=False,
        status="investigating",
        priority="high",
        severity="blocker",
        assignee_id=ALICE,
        due_date="2026-03-01",
    )
    created = create(draft)[0]
    assert created == ChatCreated(
        workspace_id=WORKSPACE_ID,
        chat_type=ChatType.BUG,
        title="Crash on save",
        description="  Steps:\n1. save  ",
        is_public=False,
        created_by=ALICE,
        created_at=T0,
        status=Status.INVESTIGATING,
        priority=Priority.HIGH,
        severity=Severity.BLOCKER,
        assignee_id=ALICE,
        due_date=datetime(2026, 3, 1, tzinfo=UTC),
    )


def test_whitespace_only_description_becomes_empty() -> None:
    assert make_chat(replace(TASK, description=" \n\t ")).description == ""


def test_title_is_trimmed_and_counted_in_code_points() -> None:
    assert make_chat(replace(TASK, title="😀" * 200)).title == "😀" * 200
    with pytest.raises(ValidationFailed) as failure:
        create(replace(TASK, title="x" * 201))
    assert field_names(failure) == ["title"]


@pytest.mark.parametrize("title", [None, "", "   "])
def test_work_items_need_a_title(title: str | None) -> None:
    with pytest.raises(ValidationFailed) as failure:
        create(NewChat(type="task", title=title))
    assert field_names(failure) == ["title"]


def test_discussion_may_be_untitled_but_not_too_long() -> None:
    assert make_chat(NewChat(title="  ")).title == ""
    with pytest.raises(ValidationFailed) as failure:
        create(NewChat(title="x" * 201))
    assert field_names(failure) == ["title"]


def test_work_item_fields_on_a_discussion_are_each_reported() -> None:
    draft = replace(
        DISCUSSION,
        description="d",
        status="To Do",
        priority="High",
        severity="Minor",
        assignee_id=BOB,
        due_date="2026-03-01",
    )
    with pytest.raises(ValidationFailed) as failure:
        create(draft)
    assert field_names(failure) == [
        "description",
        "status",
        "priority",
        "severity",
        "assignee_id",
        "due_date",
    ]


def test_severity_only_for_bugs() -> None:
    with pytest.raises(ValidationFailed) as failure:
        create(replace(TASK, severity="Major"))
    assert field_names(failure) == ["severity"]
    assert failure.value.errors[0].message == "Only bugs have a severity"


def test_every_bad_field_is_reported_at_once() -> None:
    draft = replace(
        BUG,
        title="",
        description="x" * 5001,
        status="Closed",
        priority="urgent",
        severity="low",
        assignee_id=OUTSIDER,
        due_date="tomorrow",
        participant_ids=(BOB, OUTSIDER),
    )
    with pytest.raises(ValidationFailed) as failure:
        create(draft)
    assert field_names(failure) == [
        "title",
        "description",
        "status",
        "priority",
        "severity",
        "assignee_id",
        "due_date",
        "participant_ids[1]",
    ]


def test_unknown_type_is_reported_with_the_other_fields() -> None:
    with pytest.raises(ValidationFailed) as failure:
        create(NewChat(type="story", title="x" * 201, participant_ids=(OUTSIDER,)))
    assert field_names(failure) == ["type", "title", "participant_ids[0]"]


def test_extra_participants_join_as_members_once() -> None:
    events = create(replace(DISCUSSION, participant_ids=(BOB, ALICE, CAROL, BOB)))
    assert added(events) == [
        (ALICE, ParticipantRole.ADMIN),
        (BOB, ParticipantRole.MEMBER),
        (CAROL, ParticipantRole.MEMBER),
    ]


def test_a_non_participant_assignee_joins_last() -> None:
    events = create(replace(TASK, participant_ids=(CAROL,), assignee_id=BOB))
    assert added(events) == [
        (ALICE, ParticipantRole.ADMIN),
        (CAROL, ParticipantRole.MEMBER),
        (BOB, ParticipantRole.MEMBER),
    ]
    assert added(create(replace(TASK, participant_ids=(BOB,), assignee_id=BOB)))[1:] == [
        (BOB, ParticipantRole.MEMBER)
    ]


def test_at_most_100_extra_participants() -> None:
    members = {f"user-{i}" for i in range(101)} | {ALICE}
    draft = replace(DISCUSSION, participant_ids=tuple(sorted(members - {ALICE})))
    with pytest.raises(ValidationFailed) as failure:
        create_chat(draft, workspace_id=WORKSPACE_ID, members=members, actor_id=ALICE, now=T0)
    assert field_names(failure) == ["participant_ids"]
    hundred = replace(draft, participant_ids=draft.participant_ids[:100])
    events = create_chat(
        hundred, workspace_id=WORKSPACE_ID, members=members, actor_id=ALICE, now=T0
    )
    assert len(added(events)) == 101


def test_work_item_only_defaults_to_task_and_refuses_discussions() -> None:
    created = create(NewChat(title="Ship it"), work_item_only=True)[0]
    assert isinstance(created, ChatCreated)
    assert created.chat_type is ChatType.TASK
    with pytest.raises(ValidationFailed) as failure:
        create(NewChat(type="discussion", title="Ship it"), work_item_only=True)
    assert field_names(failure) == ["type"]
