"""Workspaces, members and invites (http-api.md "Workspaces, members, invites")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.app.pagination import Page, fingerprint, make_page, page_request
from flowra_core.app.write_path import AggregateKind, Outcome, Routing, WritePath
from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.events import AggregateType, DomainEvent
from flowra_core.domain.user.state import User
from flowra_core.domain.workspace import (
    Invite,
    InviteStatus,
    Member,
    MemberRole,
    Workspace,
    accept_invite,
    add_member,
    change_member_role,
    create_invite,
    create_workspace,
    delete_workspace,
    invite_token_hash,
    leave_workspace,
    parse_member_role,
    remove_member,
    revoke_invite,
    transfer_ownership,
    update_workspace,
)
from flowra_core.domain.workspace import evolve as evolve_workspace
from flowra_core.ports.clock import SecretTokens
from flowra_core.ports.presence import PresenceReader
from flowra_core.ports.users import UserStore
from flowra_core.ports.workspaces import InviteTokenStore, WorkspaceStore

# Called after a member left or was removed: takes them out of every chat (domain.md §2).

SYSTEM_ADMIN_ROLE = "system_admin"


@dataclass(frozen=True, slots=True)
class WorkspaceView:
    workspace: Workspace
    my_role: str


@dataclass(frozen=True, slots=True)
class MemberView:
    member: Member
    user: User
    is_online: bool


@dataclass(frozen=True, slots=True)
class InviteView:
    invite: Invite
    token: str | None
    status: InviteStatus


@dataclass(frozen=True, slots=True)
class InvitePreview:
    workspace_id: str
    workspace_name: str
    role: MemberRole
    expires_at: datetime
    status: InviteStatus


def workspace_kind(store: WorkspaceStore) -> AggregateKind[Workspace]:
    def evolve(state: Workspace | None, event: DomainEvent, _at: datetime, _id: str) -> Workspace:
        return evolve_workspace(state, event)

    return AggregateKind(
        aggregate_type=AggregateType.WORKSPACE,
        store=store,
        evolve=evolve,
        routing=lambda ws: Routing(workspace_id=ws.id, chat_id=None),
    )


class WorkspaceService:
    def __init__(
        self,
        write: WritePath,
        workspaces: WorkspaceStore,
        users: UserStore,
        invite_tokens: InviteTokenStore,
        tokens: SecretTokens,
        presence: PresenceReader,
    ) -> None:
        self._write = write
        self._workspaces = workspaces
        self._users = users
        self._invite_tokens = invite_tokens
        self._tokens = tokens
        self._presence = presence
        self._kind = workspace_kind(workspaces)

    # -- reading ---------------------------------------------------------------------------

    async def visible(self, actor: Actor, workspace_id: str) -> Workspace:
        """The workspace if the actor may see it, else 404 WORKSPACE_NOT_FOUND."""
        workspace = await self._write.current(self._kind, workspace_id)
        return policy.visible_workspace(workspace, actor, workspace_id)

    @staticmethod
    def view(workspace: Workspace, actor: Actor) -> WorkspaceView:
        role = policy.role_in(workspace, actor)
        return WorkspaceView(workspace, role.value if role is not None else SYSTEM_ADMIN_ROLE)

    async def get(self, actor: Actor, workspace_id: str) -> WorkspaceView:
        return self.view(await self.visible(actor, workspace_id), actor)

    async def list_workspaces(
        self, actor: Actor, *, all_workspaces: bool, limit: int | None, cursor: str | None
    ) -> Page[WorkspaceView]:
        if all_workspaces and not actor.is_system_admin:
            raise DomainError(ErrorCode.FORBIDDEN, "Only system admins can list every workspace")
        scope = fingerprint("workspaces", all=all_workspaces)
        request = page_request(limit, cursor, scope, key_type=tuple[str, str])
        rows = await self._workspaces.list_by_name(
            member_id=None if all_workspaces else actor.user_id,
            after=(request.after[0], request.after[1]) if request.after else None,
            limit=request.limit + 1,
        )
        page = make_page(rows, request, scope, lambda ws: (ws.name.lower(), ws.id))
        return Page([self.view(ws, actor) for ws in page.items], page.next_cursor)

    # -- workspace commands ----------------------------------------------------------------

    async def _run(
        self,
        actor: Actor,
        workspace_id: str,
        decide: Callable[[Workspace], list[DomainEvent]],
    ) -> Outcome[Workspace]:
        """A command on a visible workspace; `decide` sees the freshly loaded state."""

        def checked(state: Workspace | None) -> list[DomainEvent]:
            return decide(policy.visible_workspace(state, actor, workspace_id))

        return await self._write.execute(self._kind, workspace_id, checked, actor_id=actor.user_id)

    async def create(self, actor: Actor, *, name: str, description: str | None) -> WorkspaceView:
        workspace_id = self._write.ids.new_id()
        now = self._write.clock.now()
        outcome = await self._write.execute(
            self._kind,
            workspace_id,
            lambda _s: create_workspace(
                workspace_id=workspace_id,
                name=name,
                description=description,
                created_by=actor.user_id,
                now=now,
            ),
            actor_id=actor.user_id,
            new=True,
        )
        return self.view(outcome.required(), actor)

    async def update(
        self, actor: Actor, workspace_id: str, *, name: str | None, description: str | None
    ) -> WorkspaceView:
        now = self._write.clock.now()

        def decide(ws: Workspace) -> list[DomainEvent]:
            policy.require_workspace_admin(ws, actor, "edit this workspace")
            return update_workspace(
                ws, name=name, description=description, updated_by=actor.user_id, now=now
            )

        outcome = await self._run(actor, workspace_id, decide)
        return self.view(outcome.required(), actor)

    async def delete(self, actor: Actor, workspace_id: str) -> None:
        now = self._write.clock.now()

        def decide(ws: Workspace) -> list[DomainEvent]:
            policy.require_owner(ws, actor, "delete this workspace")
            return delete_workspace(ws, deleted_by=actor.user_id, now=now)

        await self._run(actor, workspace_id, decide)

    # -- members ---------------------------------------------------------------------------

    async def members(
        self,
        actor: Actor,
        workspace_id: str,
        *,
        role: str | None,
        q: str | None,
        limit: int | None,
        cursor: str | None,
    ) -> Page[MemberView]:
        workspace = await self.visible(actor, workspace_id)
        role_filter = None
        if role is not None:
            role_filter = parse_member_role(role)
            if role_filter is None:
                raise ValidationFailed.single("role", "must be one of owner, admin, member")
        scope = fingerprint("members", workspace_id=workspace_id, role=role, q=q)
        request = page_request(limit, cursor, scope, key_type=tuple[datetime, str])
        users = await self._users.get_many([m.user_id for m in workspace.members])
        needle = q.lower() if q else None
        rows = sorted(
            (
                m
                for m in workspace.members
                if (role_filter is None or m.role is role_filter)
                and m.user_id in users
                and (needle is None or _user_matches(users[m.user_id], needle))
            ),
            key=lambda m: (m.joined_at, m.user_id),
        )
        if request.after is not None:
            rows = [m for m in rows if (m.joined_at, m.user_id) > request.after]
        page = make_page(rows[: request.limit + 1], request, scope, _member_key)
        online = await self._presence.online([m.user_id for m in page.items])
        views = [MemberView(m, users[m.user_id], m.user_id in online) for m in page.items]
        return Page(views, page.next_cursor)

    async def _member_view(self, workspace: Workspace, user_id: str) -> MemberView:
        member = workspace.member(user_id)
        user = await self._users.get(user_id)
        assert member is not None and user is not None
        online = await self._presence.online([user_id])
        return MemberView(member, user, user_id in online)

    async def add_member(
        self,
        actor: Actor,
        workspace_id: str,
        *,
        user_id: str | None,
        username: str | None,
        role: str | None,
    ) -> MemberView:
        workspace = await self.visible(actor, workspace_id)
        # The right is checked before the input (403 before 422, http-api.md §1 check order).
        policy.require_workspace_admin(workspace, actor, "add members to this workspace")
        target = await self._find_user(user_id, username)
        now = self._write.clock.now()

        def decide(ws: Workspace) -> list[DomainEvent]:
            policy.require_workspace_admin(ws, actor, "add members to this workspace")
            if target is None:
                raise DomainError(ErrorCode.USER_NOT_FOUND, "No active user matches")
            return add_member(
                ws,
                user_id=target.id,
                user_is_active=target.is_active,
                role=role,
                added_by=actor.user_id,
                now=now,
            )

        outcome = await self._run(actor, workspace_id, decide)
        assert target is not None
        return await self._member_view(outcome.required(), target.id)

    async def _find_user(self, user_id: str | None, username: str | None) -> User | None:
        if (user_id is None) == (username is None):
            raise ValidationFailed.single("user_id", "give exactly one of user_id or username")
        if user_id is not None:
            return await self._users.get(user_id)
        assert username is not None
        return await self._users.by_username(username.strip().removeprefix("@"))

    async def change_role(
        self, actor: Actor, workspace_id: str, user_id: str, *, role: str
    ) -> MemberView:
        def decide(ws: Workspace) -> list[DomainEvent]:
            policy.require_owner(ws, actor, "change member roles")
            return change_member_role(ws, user_id=user_id, role=role, changed_by=actor.user_id)

        outcome = await self._run(actor, workspace_id, decide)
        return await self._member_view(outcome.required(), user_id)

    async def remove_member(self, actor: Actor, workspace_id: str, user_id: str) -> None:
        if user_id == actor.user_id:
            await self.leave(actor, workspace_id)
            return

        def decide(ws: Workspace) -> list[DomainEvent]:
            policy.require_workspace_admin(ws, actor, "remove members from this workspace")
            return remove_member(ws, user_id=user_id, removed_by=actor.user_id)

        # The departed member leaves the workspace's chats by the `workspace.member_departure`
        # reaction to this commit (reaction_table.py).
        await self._run(actor, workspace_id, decide)

    async def leave(self, actor: Actor, workspace_id: str) -> None:
        def decide(ws: Workspace) -> list[DomainEvent]:
            if policy.role_in(ws, actor) is None:
                raise DomainError(ErrorCode.FORBIDDEN, "You are not a member of this workspace")
            return leave_workspace(ws, user_id=actor.user_id)

        await self._run(actor, workspace_id, decide)

    async def transfer_ownership(
        self, actor: Actor, workspace_id: str, *, user_id: str
    ) -> WorkspaceView:
        def decide(ws: Workspace) -> list[DomainEvent]:
            policy.require_owner(ws, actor, "transfer ownership")
            return transfer_ownership(ws, new_owner_id=user_id, changed_by=actor.user_id)

        outcome = await self._run(actor, workspace_id, decide)
        return self.view(outcome.required(), actor)

    # -- invites ---------------------------------------------------------------------------

    async def create_invite(
        self,
        actor: Actor,
        workspace_id: str,
        *,
        role: str | None,
        expires_at: datetime | None,
        max_uses: int | None,
    ) -> InviteView:
        invite_id = self._write.ids.new_id()
        token = self._tokens.new_token()
        now = self._write.clock.now()

        def decide(ws: Workspace) -> list[DomainEvent]:
            policy.require_workspace_admin(ws, actor, "invite people to this workspace")
            return create_invite(
                ws,
                invite_id=invite_id,
                token=token,
                role=role,
                expires_at=expires_at,
                max_uses=max_uses,
                created_by=actor.user_id,
                now=now,
            )

        # The token is stored before the commit: an invite never exists without its token.
        await self._invite_tokens.save(invite_id, token)
        outcome = await self._run(actor, workspace_id, decide)
        invite = outcome.required().invite(invite_id)
        assert invite is not None
        return InviteView(invite, token, invite.status(now))

    async def invites(
        self,
        actor: Actor,
        workspace_id: str,
        *,
        status: str | None,
        limit: int | None,
        cursor: str | None,
    ) -> Page[InviteView]:
        workspace = await self.visible(actor, workspace_id)
        policy.require_workspace_admin(workspace, actor, "see the invites of this workspace")
        wanted = _parse_invite_status(status)
        scope = fingerprint("invites", workspace_id=workspace_id, status=status)
        request = page_request(limit, cursor, scope, key_type=tuple[datetime, str])
        now = self._write.clock.now()
        rows = sorted(
            (i for i in workspace.invites if wanted is None or i.status(now) is wanted),
            key=_invite_key,
            reverse=True,
        )
        if request.after is not None:
            rows = [i for i in rows if _invite_key(i) < request.after]
        page = make_page(rows[: request.limit + 1], request, scope, _invite_key)
        tokens = await self._invite_tokens.get_many([i.id for i in page.items])
        views = [InviteView(i, tokens.get(i.id), i.status(now)) for i in page.items]
        return Page(views, page.next_cursor)

    async def revoke_invite(self, actor: Actor, workspace_id: str, invite_id: str) -> None:
        now = self._write.clock.now()

        def decide(ws: Workspace) -> list[DomainEvent]:
            policy.require_workspace_admin(ws, actor, "revoke invites")
            return revoke_invite(ws, invite_id=invite_id, revoked_by=actor.user_id, now=now)

        await self._run(actor, workspace_id, decide)

    async def _workspace_of_token(self, token: str) -> Workspace:
        workspace = await self._workspaces.by_invite_token_hash(invite_token_hash(token))
        if workspace is None or workspace.is_deleted:
            raise DomainError(ErrorCode.INVITE_NOT_FOUND, "No invite with this token")
        return workspace

    async def preview_invite(self, token: str) -> InvitePreview:
        workspace = await self._workspace_of_token(token)
        invite = workspace.invite_by_token_hash(invite_token_hash(token))
        assert invite is not None
        return InvitePreview(
            workspace_id=workspace.id,
            workspace_name=workspace.name,
            role=invite.role,
            expires_at=invite.expires_at,
            status=invite.status(self._write.clock.now()),
        )

    async def accept_invite(self, actor: Actor, token: str) -> WorkspaceView:
        workspace = await self._workspace_of_token(token)
        now = self._write.clock.now()
        outcome = await self._write.execute(
            self._kind,
            workspace.id,
            lambda state: accept_invite(state, token=token, user_id=actor.user_id, now=now),
            actor_id=actor.user_id,
        )
        return self.view(outcome.required(), actor)


def _user_matches(user: User, needle: str) -> bool:
    return any(needle in text.lower() for text in (user.username, user.display_name, user.email))


def _member_key(member: Member) -> tuple[datetime, str]:
    return (member.joined_at, member.user_id)


def _invite_key(invite: Invite) -> tuple[datetime, str]:
    return (invite.created_at, invite.id)


def _parse_invite_status(text: str | None) -> InviteStatus | None:
    if text is None:
        return None
    try:
        return InviteStatus(text.strip().lower())
    except ValueError:
        allowed = ", ".join(status.value for status in InviteStatus)
        raise ValidationFailed.single("status", f"must be one of {allowed}") from None
