"""Chat participants (add, remove, leave, join, workspace departure) and work-item attachments."""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.domain.chat import (
    Chat,
    ChatAttachment,
    ChatAttachmentAdded,
    ChatAttachmentRemoved,
    ChatParticipantAdded,
    ChatParticipantRemoved,
    NewChat,
    Participant,
    ParticipantRole,
    add_attachment,
    add_participant,
    assign,
    create_chat,
    delete,
    evolve,
    join,
    leave,
    remove_attachment,
    remove_departed_member,
    remove_participant,
)
from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.events import DomainEvent

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
CHAT_ID = "7d1e0000-0000-4000-8000-000000000001"
ALICE = "00000000-0000-4000-8000-00000000a11c"
BOB = "00000000-0000-4000-8000-000000000b0b"
CAROL = "00000000-0000-4000-8000-0000000ca201"
OUTSIDER = "00000000-0000-4000-8000-00000000000f"
MEMBERS = frozenset({ALICE, BOB, CAROL})


def then(chat: Chat | None, events: Iterable[DomainEvent]) -> Chat:
    for event in events:
        chat = evolve(chat, event, T1, chat_id=CHAT_ID)
    assert chat is not None
    return chat


def make_chat(chat_type: str = "task", *, is_public: bool = True, with_bob: bool = True) -> Chat:
    """Alice (admin) and, by default, Bob (member)."""
    draft = NewChat(
        type=chat_type,
        title="Fix login",
        is_public=is_public,
        participant_ids=(BOB,) if with_bob else (),
    )
    return then(None, create_chat(draft, workspace_id="w", members=MEMBERS, actor_id=ALICE, now=T0))


def field_names(failure: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [error.field for error in failure.value.errors]


def code_of(failure: pytest.ExceptionInfo[DomainError]) -> ErrorCode:
    return failure.value.code


# --- add ------------------------------------------------------------------------------------


def test_add_participant_as_member_by_default() -> None:
    chat = make_chat()
    events = add_participant(chat, CAROL, members=MEMBERS, actor_id=ALICE, now=T1)
    assert events == [
        ChatParticipantAdded(
            user_id=CAROL, role=ParticipantRole.MEMBER, added_by=ALICE, joined_at=T1
        )
    ]
    chat = then(chat, events)
    assert chat.participant(CAROL) == Participant(
        user_id=CAROL, role=ParticipantRole.MEMBER, joined_at=T1
    )


def test_add_participant_as_admin() -> None:
    chat = make_chat()
    chat = then(
        chat, add_participant(chat, CAROL, " ADMIN ", members=MEMBERS, actor_id=ALICE, now=T1)
    )
    assert chat.is_admin(CAROL)
    assert chat.admin_count == 2


def test_added_participant_must_be_a_workspace_member_with_a_valid_role() -> None:
    with pytest.raises(ValidationFailed) as failure:
        add_participant(make_chat(), OUTSIDER, "owner", members=MEMBERS, actor_id=ALICE, now=T1)
    assert field_names(failure) == ["role", "user_id"]


def test_adding_a_participant_twice_is_already_participant() -> None:
    with pytest.raises(DomainError) as failure:
        add_participant(make_chat(), BOB, members=MEMBERS, actor_id=ALICE, now=T1)
    assert code_of(failure) is ErrorCode.ALREADY_PARTICIPANT


# --- remove and leave -----------------------------------------------------------------------


def test_remove_participant() -> None:
    chat = make_chat()
    events = remove_participant(chat, BOB, actor_id=ALICE, now=T1)
    assert events == [ChatParticipantRemoved(user_id=BOB, removed_by=ALICE)]
    assert not then(chat, events).is_participant(BOB)


def test_removing_a_non_participant_is_participant_not_found() -> None:
    with pytest.raises(DomainError) as failure:
        remove_participant(make_chat(), CAROL, actor_id=ALICE, now=T1)
    assert code_of(failure) is ErrorCode.PARTICIPANT_NOT_FOUND


def test_the_last_admin_can_neither_be_removed_nor_leave() -> None:
    chat = make_chat()
    with pytest.raises(DomainError) as removed:
        remove_participant(chat, ALICE, actor_id=BOB, now=T1)
    assert code_of(removed) is ErrorCode.LAST_CHAT_ADMIN
    with pytest.raises(DomainError) as left:
        leave(chat, actor_id=ALICE, now=T1)
    assert code_of(left) is ErrorCode.LAST_CHAT_ADMIN


def test_an_admin_may_go_when_another_admin_stays() -> None:
    chat = make_chat()
    chat = then(
        chat, add_participant(chat, CAROL, "admin", members=MEMBERS, actor_id=ALICE, now=T1)
    )
    events = leave(chat, actor_id=ALICE, now=T1)
    assert events == [ChatParticipantRemoved(user_id=ALICE, removed_by=ALICE)]
    chat = then(chat, events)
    assert [p.user_id for p in chat.participants] == [BOB, CAROL]
    assert remove_participant(chat, BOB, actor_id=CAROL, now=T1)


def test_member_leaves() -> None:
    chat = make_chat()
    assert leave(chat, actor_id=BOB, now=T1) == [
        ChatParticipantRemoved(user_id=BOB, removed_by=BOB)
    ]


def test_leaving_without_being_a_participant_is_not_participant() -> None:
    with pytest.raises(DomainError) as failure:
        leave(make_chat(), actor_id=CAROL, now=T1)
    assert code_of(failure) is ErrorCode.NOT_PARTICIPANT


# --- join -----------------------------------------------------------------------------------


def test_join_a_public_chat_as_member() -> None:
    chat = make_chat()
    events = join(chat, actor_id=CAROL, now=T1)
    assert events == [
        ChatParticipantAdded(
            user_id=CAROL, role=ParticipantRole.MEMBER, added_by=CAROL, joined_at=T1
        )
    ]
    assert join(then(chat, events), actor_id=CAROL, now=T1) == []


def test_join_a_private_chat_is_chat_not_found_for_outsiders_and_a_no_op_for_participants() -> None:
    chat = make_chat(is_public=False)
    assert join(chat, actor_id=BOB, now=T1) == []
    with pytest.raises(DomainError) as failure:
        join(chat, actor_id=CAROL, now=T1)
    assert code_of(failure) is ErrorCode.CHAT_NOT_FOUND


# --- leaving the workspace ------------------------------------------------------------------


def test_departed_member_is_removed_even_as_last_admin_and_keeps_the_assignment() -> None:
    chat = make_chat(with_bob=False)
    chat = then(chat, assign(chat, ALICE, members=MEMBERS, actor_id=ALICE, now=T1))
    events = remove_departed_member(chat, ALICE, actor_id=BOB, now=T1)
    assert events == [ChatParticipantRemoved(user_id=ALICE, removed_by=BOB)]
    chat = then(chat, events)
    assert chat.participants == ()
    assert chat.assignee_id == ALICE


def test_departed_member_cascade_has_nothing_to_do_elsewhere() -> None:
    chat = make_chat()
    assert remove_departed_member(chat, CAROL, actor_id=CAROL, now=T1) == []
    gone = then(chat, remove_departed_member(chat, BOB, actor_id=BOB, now=T1))
    assert remove_departed_member(gone, BOB, actor_id=BOB, now=T1) == []


def test_departed_member_cascade_skips_deleted_chats() -> None:
    chat = make_chat()
    chat = then(chat, delete(chat, actor_id=ALICE, now=T1))
    assert remove_departed_member(chat, BOB, actor_id=BOB, now=T1) == []


# --- attachments ----------------------------------------------------------------------------


def attach(chat: Chat, file_id: str) -> list[DomainEvent]:
    return add_attachment(
        chat,
        file_id=file_id,
        file_name=f"{file_id}.png",
        file_size=2048,
        mime_type="image/png",
        actor_id=BOB,
        now=T1,
    )


def test_attachment_added_once_with_its_time() -> None:
    chat = make_chat()
    events = attach(chat, "f1")
    assert events == [
        ChatAttachmentAdded(
            file_id="f1", file_name="f1.png", file_size=2048, mime_type="image/png", added_by=BOB
        )
    ]
    chat = then(chat, events)
    assert chat.attachments == (
        ChatAttachment(
            file_id="f1",
            file_name="f1.png",
            file_size=2048,
            mime_type="image/png",
            added_by=BOB,
            added_at=T1,
        ),
    )
    assert attach(chat, "f1") == []


def test_at_most_50_attachments() -> None:
    chat = make_chat()
    for index in range(50):
        chat = then(chat, attach(chat, f"f{index}"))
    assert len(chat.attachments) == 50
    assert attach(chat, "f0") == []
    with pytest.raises(ValidationFailed) as failure:
        attach(chat, "f50")
    assert field_names(failure) == ["file_id"]


def test_remove_attachment() -> None:
    chat = make_chat()
    chat = then(chat, attach(chat, "f1") + attach(chat, "f2"))
    events = remove_attachment(chat, "f1", actor_id=ALICE, now=T1)
    assert events == [ChatAttachmentRemoved(file_id="f1", removed_by=ALICE)]
    assert [a.file_id for a in then(chat, events).attachments] == ["f2"]


def test_removing_an_absent_attachment_is_attachment_not_found() -> None:
    with pytest.raises(DomainError) as failure:
        remove_attachment(make_chat(), "nope", actor_id=ALICE, now=T1)
    assert code_of(failure) is ErrorCode.ATTACHMENT_NOT_FOUND
