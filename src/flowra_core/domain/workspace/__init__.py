"""The workspace aggregate: the workspace, its members and its invites."""

from flowra_core.domain.workspace.commands import (
    create_workspace,
    delete_workspace,
    update_workspace,
)
from flowra_core.domain.workspace.events import (
    InviteCreated,
    InviteRevoked,
    InviteUsed,
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    RemovalReason,
    TextChange,
    WorkspaceChanges,
    WorkspaceCreated,
    WorkspaceDeleted,
    WorkspaceEvent,
    WorkspaceUpdated,
)
from flowra_core.domain.workspace.evolve import evolve, replay
from flowra_core.domain.workspace.invites import (
    INVITE_DEFAULT_LIFETIME,
    INVITE_MAX_LIFETIME,
    accept_invite,
    create_invite,
    invite_token_hash,
    revoke_invite,
)
from flowra_core.domain.workspace.members import (
    add_member,
    change_member_role,
    leave_workspace,
    remove_member,
    transfer_ownership,
)
from flowra_core.domain.workspace.rules import parse_member_role, require_live
from flowra_core.domain.workspace.state import (
    Invite,
    InviteStatus,
    Member,
    MemberRole,
    Workspace,
)

__all__ = [
    "INVITE_DEFAULT_LIFETIME",
    "INVITE_MAX_LIFETIME",
    "Invite",
    "InviteCreated",
    "InviteRevoked",
    "InviteStatus",
    "InviteUsed",
    "Member",
    "MemberAdded",
    "MemberRemoved",
    "MemberRole",
    "MemberRoleChanged",
    "RemovalReason",
    "TextChange",
    "Workspace",
    "WorkspaceChanges",
    "WorkspaceCreated",
    "WorkspaceDeleted",
    "WorkspaceEvent",
    "WorkspaceUpdated",
    "accept_invite",
    "add_member",
    "change_member_role",
    "create_invite",
    "create_workspace",
    "delete_workspace",
    "evolve",
    "invite_token_hash",
    "leave_workspace",
    "parse_member_role",
    "remove_member",
    "replay",
    "require_live",
    "revoke_invite",
    "transfer_ownership",
    "update_workspace",
]
