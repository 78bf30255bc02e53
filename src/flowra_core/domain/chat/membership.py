"""Chat participant commands: add, remove, leave, join, and the cascade when a member leaves
the workspace."""

from collections.abc import Container
from datetime import datetime

from flowra_core.domain.chat.events import ChatParticipantAdded, ChatParticipantRemoved
from flowra_core.domain.chat.inputs import role_input, workspace_member_input
from flowra_core.domain.chat.rules import FieldErrors, ensure_exists
from flowra_core.domain.chat.state import Chat
from flowra_core.domain.chat.vocabulary import ParticipantRole
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.domain.events import DomainEvent


def add_participant(
    chat: Chat,
    user_id: str,
    role: str = ParticipantRole.MEMBER,
    *,
    members: Container[str],
    actor_id: str,
    now: datetime,
) -> list[DomainEvent]:
    """`members` holds the workspace member ids; the target must be one of them."""
    ensure_exists(chat)
    errors = FieldErrors()
    parsed_role = errors.check(role_input, role)
    errors.check(workspace_member_input, user_id, members, field="user_id")
    errors.raise_if_any()
    assert parsed_role is not None
    if chat.is_participant(user_id):
        raise DomainError(ErrorCode.ALREADY_PARTICIPANT, f"User {user_id} is already in this chat")
    return [
        ChatParticipantAdded(user_id=user_id, role=parsed_role, added_by=actor_id, joined_at=now)
    ]


def _ensure_not_last_admin(chat: Chat, user_id: str) -> None:
    if chat.is_admin(user_id) and chat.admin_count == 1:
        raise DomainError(
            ErrorCode.LAST_CHAT_ADMIN, f"User {user_id} is the last admin of this chat"
        )


def remove_participant(
    chat: Chat, user_id: str, *, actor_id: str, now: datetime
) -> list[DomainEvent]:
    """Remove anyone (also oneself); the last chat admin stays."""
    ensure_exists(chat)
    if not chat.is_participant(user_id):
        raise DomainError(ErrorCode.PARTICIPANT_NOT_FOUND, f"User {user_id} is not in this chat")
    _ensure_not_last_admin(chat, user_id)
    return [ChatParticipantRemoved(user_id=user_id, removed_by=actor_id)]


def leave(chat: Chat, *, actor_id: str, now: datetime) -> list[DomainEvent]:
    """The caller leaves; the last chat admin cannot."""
    ensure_exists(chat)
    if not chat.is_participant(actor_id):
        raise DomainError(ErrorCode.NOT_PARTICIPANT, "You are not a participant of this chat")
    _ensure_not_last_admin(chat, actor_id)
    return [ChatParticipantRemoved(user_id=actor_id, removed_by=actor_id)]


def join(chat: Chat, *, actor_id: str, now: datetime) -> list[DomainEvent]:
    """The caller joins a public chat as member; a participant joining again is a no-op."""
    ensure_exists(chat)
    if chat.is_participant(actor_id):
        return []
    if not chat.is_public:
        # A private chat is invisible to non-participants.
        raise DomainError(ErrorCode.CHAT_NOT_FOUND, f"No chat {chat.id} in this workspace")
    return [
        ChatParticipantAdded(
            user_id=actor_id, role=ParticipantRole.MEMBER, added_by=actor_id, joined_at=now
        )
    ]


def remove_departed_member(
    chat: Chat, user_id: str, *, actor_id: str, now: datetime
) -> list[DomainEvent]:
    """Cascade of a workspace removal or leave: ignores the last-admin rule, keeps assignments,
    and has nothing to do on a deleted chat or one the user is not in."""
    if chat.is_deleted or not chat.is_participant(user_id):
        return []
    return [ChatParticipantRemoved(user_id=user_id, removed_by=actor_id)]
