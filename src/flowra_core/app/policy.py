"""The authorization table of http-api.md §3, in one place.

Every use case asks this module; no endpoint or tag handler decides access on its own.
Checks follow the spec's order: visibility (404) before rights (403), so a resource the
caller may not see is indistinguishable from one that does not exist.
"""

from __future__ import annotations

from flowra_core.app.actor import Actor
from flowra_core.domain.chat.state import Chat
from flowra_core.domain.chat.vocabulary import ParticipantRole
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.domain.tokens import TokenScope, allows
from flowra_core.domain.workspace.state import MemberRole, Workspace


def _workspace_not_found(workspace_id: str) -> DomainError:
    return DomainError(ErrorCode.WORKSPACE_NOT_FOUND, f"No workspace {workspace_id}")


def _chat_not_found(chat_id: str) -> DomainError:
    return DomainError(ErrorCode.CHAT_NOT_FOUND, f"No chat {chat_id} in this workspace")


def _forbidden(action: str) -> DomainError:
    return DomainError(ErrorCode.FORBIDDEN, f"You are not allowed to {action}")


def role_in(workspace: Workspace, actor: Actor) -> MemberRole | None:
    member = workspace.member(actor.user_id)
    return member.role if member is not None else None


def can_see_workspace(workspace: Workspace, actor: Actor) -> bool:
    """Anything under a workspace: member or system admin, workspace not deleted."""
    if workspace.is_deleted:
        return False
    return role_in(workspace, actor) is not None or actor.is_system_admin


def visible_workspace(workspace: Workspace | None, actor: Actor, workspace_id: str) -> Workspace:
    """The workspace if the caller may see it, else 404 WORKSPACE_NOT_FOUND."""
    if workspace is None or not can_see_workspace(workspace, actor):
        raise _workspace_not_found(workspace_id)
    return workspace


def require_member(workspace: Workspace, actor: Actor, action: str) -> None:
    """Writes that any member may do (create a chat); a non-member system admin may not."""
    if role_in(workspace, actor) is None:
        raise _forbidden(action)


def require_token_scope(actor: Actor, needed: TokenScope, action: str) -> None:
    """An API token narrows its user's rights to its scopes; it never widens them."""
    if actor.scopes is not None and not allows(actor.scopes, needed):
        raise DomainError(
            ErrorCode.INSUFFICIENT_SCOPE,
            f"This API token needs the '{needed.value}' scope to {action}",
        )


def require_workspace_admin(workspace: Workspace, actor: Actor, action: str) -> None:
    if not workspace.is_admin(actor.user_id):
        raise _forbidden(action)
    require_token_scope(actor, TokenScope.ADMIN, action)


def require_owner(workspace: Workspace, actor: Actor, action: str) -> None:
    if role_in(workspace, actor) is not MemberRole.OWNER:
        raise _forbidden(action)
    require_token_scope(actor, TokenScope.ADMIN, action)


def can_read_chat(chat: Chat, workspace: Workspace, actor: Actor) -> bool:
    if chat.is_deleted or chat.workspace_id != workspace.id:
        return False
    if actor.is_system_admin or chat.is_participant(actor.user_id):
        return True
    return chat.is_public and role_in(workspace, actor) is not None


def can_write_chat(chat: Chat, actor: Actor) -> bool:
    return not chat.is_deleted and chat.is_participant(actor.user_id)


def is_chat_admin(chat: Chat, user_id: str) -> bool:
    participant = chat.participant(user_id)
    return participant is not None and participant.role is ParticipantRole.ADMIN


def can_manage_chat(chat: Chat, workspace: Workspace, actor: Actor) -> bool:
    if chat.is_deleted:
        return False
    if is_chat_admin(chat, actor.user_id):
        return True
    return workspace.is_admin(actor.user_id) and can_read_chat(chat, workspace, actor)


def readable_chat(chat: Chat | None, workspace: Workspace, actor: Actor, chat_id: str) -> Chat:
    """404 CHAT_NOT_FOUND for a missing, deleted, foreign or private-and-unjoined chat."""
    if chat is None or not can_read_chat(chat, workspace, actor):
        raise _chat_not_found(chat_id)
    return chat


def require_chat_write(chat: Chat, actor: Actor) -> None:
    if not can_write_chat(chat, actor):
        raise DomainError(
            ErrorCode.NOT_PARTICIPANT, "Only participants of this chat can do this; join it first"
        )


def require_chat_manage(chat: Chat, workspace: Workspace, actor: Actor, action: str) -> None:
    if not can_manage_chat(chat, workspace, actor):
        raise _forbidden(action)


def require_message_author(author_id: str, actor: Actor) -> None:
    """Edit message: the author only."""
    if author_id != actor.user_id:
        raise _forbidden("edit another person's message")


def can_delete_message(author_id: str, chat: Chat, workspace: Workspace, actor: Actor) -> bool:
    """Delete message: the author, a chat admin, or a workspace admin."""
    return (
        author_id == actor.user_id
        or is_chat_admin(chat, actor.user_id)
        or workspace.is_admin(actor.user_id)
    )


def require_message_delete(author_id: str, chat: Chat, workspace: Workspace, actor: Actor) -> None:
    if not can_delete_message(author_id, chat, workspace, actor):
        raise _forbidden("delete this message")
