"""Payloads of the `workspace.*`, `member.*` and `invite.*` events (domain.md §6.2).

All belong to the workspace aggregate (aggregate_id = workspace id). Besides the catalogue's
fields, a few payloads carry what `evolve` needs to rebuild the state from the events alone,
since the envelope's id and time are not passed to it:
- `workspace.created`: `workspace_id`, `created_at`;
- `workspace.updated`: `updated_at`;
- `member.added`: `joined_at`;
- `invite.created`: `token_hash` (never the token, see invites.py) and `created_at`;
- `invite.revoked`: `revoked_at`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

import msgspec

from flowra_core.domain.events import AggregateType, DomainEvent
from flowra_core.domain.workspace.state import MemberRole


class RemovalReason(StrEnum):
    REMOVED = "removed"
    LEFT = "left"


class TextChange(msgspec.Struct, frozen=True, kw_only=True):
    old: str
    new: str


class WorkspaceChanges(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Only the fields that changed are present on the wire."""

    name: TextChange | None = None
    description: TextChange | None = None


class WorkspaceCreated(DomainEvent, frozen=True, kw_only=True, tag="workspace.created"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.WORKSPACE

    workspace_id: str
    name: str
    description: str
    created_by: str
    created_at: datetime


class WorkspaceUpdated(DomainEvent, frozen=True, kw_only=True, tag="workspace.updated"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.WORKSPACE

    changes: WorkspaceChanges
    updated_by: str
    updated_at: datetime


class WorkspaceDeleted(DomainEvent, frozen=True, kw_only=True, tag="workspace.deleted"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.WORKSPACE

    deleted_by: str
    deleted_at: datetime


class MemberAdded(DomainEvent, frozen=True, kw_only=True, tag="member.added"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.WORKSPACE

    user_id: str
    role: MemberRole
    added_by: str
    invite_id: str | None = None
    joined_at: datetime


class MemberRoleChanged(DomainEvent, frozen=True, kw_only=True, tag="member.role_changed"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.WORKSPACE

    user_id: str
    old_role: MemberRole
    new_role: MemberRole
    changed_by: str


class MemberRemoved(DomainEvent, frozen=True, kw_only=True, tag="member.removed"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.WORKSPACE

    user_id: str
    removed_by: str
    reason: RemovalReason


class InviteCreated(DomainEvent, frozen=True, kw_only=True, tag="invite.created"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.WORKSPACE

    invite_id: str
    role: MemberRole
    expires_at: datetime
    max_uses: int
    created_by: str
    token_hash: str
    created_at: datetime


class InviteUsed(DomainEvent, frozen=True, kw_only=True, tag="invite.used"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.WORKSPACE

    invite_id: str
    user_id: str
    used_count: int


class InviteRevoked(DomainEvent, frozen=True, kw_only=True, tag="invite.revoked"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.WORKSPACE

    invite_id: str
    revoked_by: str
    revoked_at: datetime


WorkspaceEvent = (
    WorkspaceCreated
    | WorkspaceUpdated
    | WorkspaceDeleted
    | MemberAdded
    | MemberRoleChanged
    | MemberRemoved
    | InviteCreated
    | InviteUsed
    | InviteRevoked
)
