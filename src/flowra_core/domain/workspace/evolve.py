"""Apply workspace events to the state; trusts the events, never validates."""

from __future__ import annotations

from collections.abc import Iterable

from msgspec.structs import replace

from flowra_core.domain.events import DomainEvent
from flowra_core.domain.workspace.events import (
    InviteCreated,
    InviteRevoked,
    InviteUsed,
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    WorkspaceCreated,
    WorkspaceDeleted,
    WorkspaceUpdated,
)
from flowra_core.domain.workspace.state import Invite, Member, Workspace


def evolve(state: Workspace | None, event: DomainEvent) -> Workspace:
    if isinstance(event, WorkspaceCreated):
        return Workspace(
            id=event.workspace_id,
            name=event.name,
            description=event.description,
            created_by=event.created_by,
            created_at=event.created_at,
            updated_at=event.created_at,
            deleted_at=None,
            members=(),
            invites=(),
            version=1,
        )
    if state is None:
        raise ValueError(f"a workspace stream starts with workspace.created, not {event!r}")
    return replace(_apply(state, event), version=state.version + 1)


def replay(events: Iterable[DomainEvent]) -> Workspace | None:
    state: Workspace | None = None
    for event in events:
        state = evolve(state, event)
    return state


def _apply(state: Workspace, event: DomainEvent) -> Workspace:
    match event:
        case WorkspaceUpdated(changes=changes, updated_at=updated_at):
            return replace(
                state,
                name=state.name if changes.name is None else changes.name.new,
                description=(
                    state.description if changes.description is None else changes.description.new
                ),
                updated_at=updated_at,
            )
        case WorkspaceDeleted(deleted_at=deleted_at):
            return replace(state, deleted_at=deleted_at, updated_at=deleted_at)
        case MemberAdded(user_id=user_id, role=role, joined_at=joined_at):
            member = Member(user_id=user_id, role=role, joined_at=joined_at)
            return replace(state, members=(*state.members, member))
        case MemberRoleChanged(user_id=user_id, new_role=new_role):
            members = tuple(
                replace(member, role=new_role) if member.user_id == user_id else member
                for member in state.members
            )
            return replace(state, members=members)
        case MemberRemoved(user_id=user_id):
            members = tuple(member for member in state.members if member.user_id != user_id)
            return replace(state, members=members)
        case InviteCreated():
            return replace(state, invites=(*state.invites, _new_invite(state, event)))
        case InviteUsed(invite_id=invite_id, used_count=used_count):
            return _replace_invite(state, invite_id, used_count=used_count)
        case InviteRevoked(invite_id=invite_id, revoked_at=revoked_at):
            return _replace_invite(state, invite_id, revoked_at=revoked_at)
    raise ValueError(f"not a workspace event: {event!r}")


def _new_invite(state: Workspace, event: InviteCreated) -> Invite:
    return Invite(
        id=event.invite_id,
        workspace_id=state.id,
        token_hash=event.token_hash,
        role=event.role,
        created_by=event.created_by,
        created_at=event.created_at,
        expires_at=event.expires_at,
        max_uses=event.max_uses,
        used_count=0,
        revoked_at=None,
    )


def _replace_invite(state: Workspace, invite_id: str, **changes: object) -> Workspace:
    invites = tuple(
        replace(invite, **changes) if invite.id == invite_id else invite for invite in state.invites
    )
    return replace(state, invites=invites)
