"""Decide functions for membership: add, change role, remove, leave, transfer ownership."""

from __future__ import annotations

from datetime import datetime

from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.events import DomainEvent
from flowra_core.domain.user.bot import is_flowra_bot
from flowra_core.domain.workspace.events import (
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    RemovalReason,
)
from flowra_core.domain.workspace.rules import parse_assignable_role, require_live
from flowra_core.domain.workspace.state import Member, MemberRole, Workspace


def add_member(
    workspace: Workspace | None,
    *,
    user_id: str,
    user_is_active: bool,
    role: str | None = None,
    added_by: str,
    now: datetime,
) -> list[DomainEvent]:
    """`user_is_active` is False when the user is unknown or inactive (the caller looked);
    `role` defaults to member."""
    current = require_live(workspace)
    parsed_role = MemberRole.MEMBER if role is None else parse_assignable_role(role)
    if not isinstance(parsed_role, MemberRole):
        raise ValidationFailed([parsed_role])
    if not user_is_active or is_flowra_bot(user_id):
        raise DomainError(
            ErrorCode.USER_NOT_FOUND, f"No active user {user_id} to add", field="user_id"
        )
    if current.member(user_id) is not None:
        raise DomainError(
            ErrorCode.ALREADY_MEMBER, f"User {user_id} is already a member of this workspace"
        )
    return [MemberAdded(user_id=user_id, role=parsed_role, added_by=added_by, joined_at=now)]


def change_member_role(
    workspace: Workspace | None, *, user_id: str, role: str, changed_by: str
) -> list[DomainEvent]:
    current = require_live(workspace)
    new_role = parse_assignable_role(role)
    if not isinstance(new_role, MemberRole):
        raise ValidationFailed([new_role])
    member = _existing_member(current, user_id)
    if member.role is MemberRole.OWNER:
        raise DomainError(
            ErrorCode.CANNOT_CHANGE_OWNER_ROLE,
            "The owner's role changes only by transferring ownership",
        )
    if member.role is new_role:
        return []
    return [
        MemberRoleChanged(
            user_id=user_id, old_role=member.role, new_role=new_role, changed_by=changed_by
        )
    ]


def remove_member(
    workspace: Workspace | None, *, user_id: str, removed_by: str
) -> list[DomainEvent]:
    """Removing oneself counts as leaving (reason `left`)."""
    current = require_live(workspace)
    member = _existing_member(current, user_id)
    if member.role is MemberRole.OWNER:
        raise DomainError(ErrorCode.CANNOT_REMOVE_OWNER, "The owner cannot be removed")
    reason = RemovalReason.LEFT if removed_by == user_id else RemovalReason.REMOVED
    return [MemberRemoved(user_id=user_id, removed_by=removed_by, reason=reason)]


def leave_workspace(workspace: Workspace | None, *, user_id: str) -> list[DomainEvent]:
    current = require_live(workspace)
    member = _existing_member(current, user_id)
    if member.role is MemberRole.OWNER:
        raise DomainError(
            ErrorCode.OWNER_CANNOT_LEAVE, "The owner must transfer ownership before leaving"
        )
    return [MemberRemoved(user_id=user_id, removed_by=user_id, reason=RemovalReason.LEFT)]


def transfer_ownership(
    workspace: Workspace | None, *, new_owner_id: str, changed_by: str
) -> list[DomainEvent]:
    """Two `member.role_changed`: the target becomes owner, then the old owner becomes admin."""
    current = require_live(workspace)
    previous_owner_id = current.owner_id
    if new_owner_id == previous_owner_id:
        raise ValidationFailed.single("user_id", "user_id must be a member other than the owner")
    target = _existing_member(current, new_owner_id)
    return [
        MemberRoleChanged(
            user_id=new_owner_id,
            old_role=target.role,
            new_role=MemberRole.OWNER,
            changed_by=changed_by,
        ),
        MemberRoleChanged(
            user_id=previous_owner_id,
            old_role=MemberRole.OWNER,
            new_role=MemberRole.ADMIN,
            changed_by=changed_by,
        ),
    ]


def _existing_member(workspace: Workspace, user_id: str) -> Member:
    member = workspace.member(user_id)
    if member is None:
        raise DomainError(
            ErrorCode.MEMBER_NOT_FOUND, f"User {user_id} is not a member of this workspace"
        )
    return member
