"""Users: just-in-time provisioning from identity claims, profiles, look-ups and search."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime

from flowra_core.app.actor import Actor
from flowra_core.app.pagination import Page, fingerprint, make_page, page_request
from flowra_core.app.write_path import AggregateKind, Routing, WritePath
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.domain.events import AggregateType, DomainEvent
from flowra_core.domain.user import (
    create_user,
    edit_display_name,
    flowra_bot,
    is_flowra_bot,
    sync_from_claims,
)
from flowra_core.domain.user import evolve as evolve_user
from flowra_core.domain.user.rules import email_error, unique_username
from flowra_core.domain.user.state import User
from flowra_core.ports.identity import IdentityClaims
from flowra_core.ports.users import UserStore
from flowra_core.ports.workspaces import WorkspaceStore

_USERNAME_INVALID = re.compile(r"[^A-Za-z0-9._-]+")
USERNAME_MAX = 64


def user_kind(store: UserStore) -> AggregateKind[User]:
    def evolve(state: User | None, event: DomainEvent, _at: datetime, _id: str) -> User:
        return evolve_user(state, event)

    return AggregateKind(
        aggregate_type=AggregateType.USER,
        store=store,
        evolve=evolve,
        routing=lambda _user: Routing(workspace_id=None, chat_id=None),
    )


def _usable_username(raw: str) -> str:
    """Identity providers allow characters our usernames do not; keep the readable part."""
    cleaned = _USERNAME_INVALID.sub("_", raw.strip())[:USERNAME_MAX].strip("_")
    return cleaned or "user"


def _usable_email(raw: str | None, username: str) -> str:
    if raw is not None and email_error(raw.strip()) is None:
        return raw.strip()
    return f"{username.lower()}@users.flowra.invalid"


def _claimed_display_name(claims: IdentityClaims) -> str | None:
    return (claims.display_name or "").strip()[:100] or None


def _in_sync(user: User, claims: IdentityClaims) -> bool:
    """Whether the stored user already reflects the claims (then nothing is written)."""
    wanted = _usable_username(claims.username).lower()
    stored = user.username.lower()
    username_ok = stored == wanted or re.fullmatch(re.escape(wanted) + r"_\d+", stored) is not None
    display_name = _claimed_display_name(claims) or user.username
    return (
        username_ok
        and user.email == _usable_email(claims.email, user.username)
        and user.is_system_admin == claims.is_system_admin
        and (user.display_name_custom or user.display_name == display_name)
    )


def user_id_for(external_id: str) -> str:
    """The user id of an identity, derived from it (shaped as a UUID v4): two first requests
    of one person racing each other write to the same stream, so one of them wins cleanly
    and the other reloads and finds the user, instead of creating a twin."""
    digest = hashlib.sha256(f"flowra-user:{external_id}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def user_not_found(user_id: str) -> DomainError:
    return DomainError(ErrorCode.USER_NOT_FOUND, f"No user {user_id}")


class UserService:
    def __init__(self, write: WritePath, users: UserStore, workspaces: WorkspaceStore) -> None:
        self._write = write
        self._users = users
        self._workspaces = workspaces
        self._kind = user_kind(users)

    async def ensure_bot(self) -> None:
        """Flowra Bot exists from the start (created by the migrator and at startup)."""
        if await self._users.get(flowra_bot(self._write.clock.now()).id) is None:
            await self._users.save(flowra_bot(self._write.clock.now()))

    async def provision(self, claims: IdentityClaims) -> User:
        """The user behind a verified identity: created on first sight, kept in sync after.
        An inactive user is refused (403 USER_INACTIVE)."""
        existing = await self._users.by_external_id(claims.external_id)
        if existing is not None and _in_sync(existing, claims):
            user = existing  # the common case: one look-up per request, no write
        elif existing is None:
            user = await self._create(claims)
        else:
            user = await self._sync(existing, claims)
        if not user.is_active:
            raise DomainError(ErrorCode.USER_INACTIVE, "This account is deactivated")
        return user

    async def _free_username(self, wanted: str, own_id: str | None) -> str:
        taken: set[str] = set()
        candidate = wanted
        # unique_username asks synchronously; collect the answers it needs by probing.
        while True:
            holder = await self._users.by_username(candidate)
            if holder is None or holder.id == own_id:
                return candidate
            taken.add(candidate.lower())
            candidate = unique_username(wanted, lambda name: name in taken)

    async def _create(self, claims: IdentityClaims) -> User:
        username = await self._free_username(_usable_username(claims.username), None)
        user_id = user_id_for(claims.external_id)
        now = self._write.clock.now()
        outcome = await self._write.execute(
            self._kind,
            user_id,
            # A racing first request of the same person may have created the user meanwhile.
            lambda state: (
                create_user(
                    user_id=user_id,
                    external_id=claims.external_id,
                    username=username,
                    email=_usable_email(claims.email, username),
                    display_name=_claimed_display_name(claims),
                    is_system_admin=claims.is_system_admin,
                    source=claims.source,
                    now=now,
                )
                if state is None
                else []
            ),
            actor_id=None,
        )
        return outcome.required()

    async def _sync(self, user: User, claims: IdentityClaims) -> User:
        username = await self._free_username(_usable_username(claims.username), user.id)
        now = self._write.clock.now()

        def decide(state: User | None) -> list[DomainEvent]:
            assert state is not None
            return sync_from_claims(
                state,
                username=username,
                email=_usable_email(claims.email, username),
                display_name=_claimed_display_name(claims),
                is_system_admin=claims.is_system_admin,
                now=now,
            )

        outcome = await self._write.execute(self._kind, user.id, decide, actor_id=user.id)
        return outcome.required()

    async def me(self, actor: Actor) -> User:
        user = await self._users.get(actor.user_id)
        if user is None:
            raise user_not_found(actor.user_id)
        return user

    async def update_display_name(self, actor: Actor, display_name: str) -> User:
        now = self._write.clock.now()

        def decide(state: User | None) -> list[DomainEvent]:
            if state is None:
                raise user_not_found(actor.user_id)
            return edit_display_name(state, display_name, now=now)

        outcome = await self._write.execute(
            self._kind, actor.user_id, decide, actor_id=actor.user_id
        )
        return outcome.required()

    async def co_member_ids(self, user_id: str, *, include_self: bool = True) -> set[str]:
        """Everyone who shares at least one workspace with the user. The user is included,
        unless `include_self` is False: then only if they belong to a workspace (search)."""
        ids: set[str] = {user_id} if include_self else set()
        for workspace_id in await self._workspaces.ids_of_member(user_id):
            workspace = await self._workspaces.get(workspace_id)
            if workspace is not None:
                ids.update(member.user_id for member in workspace.members)
        return ids

    async def get(self, actor: Actor, user_id: str) -> User:
        """Self, anyone sharing a workspace, Flowra Bot, or anyone for a system admin."""
        user = await self._users.get(user_id)
        if user is None:
            raise user_not_found(user_id)
        visible = (
            actor.is_system_admin
            or is_flowra_bot(user_id)
            or user_id in await self.co_member_ids(actor.user_id)
        )
        if not visible:
            raise user_not_found(user_id)
        return user

    async def search(
        self,
        actor: Actor,
        *,
        q: str | None,
        workspace_id: str | None,
        limit: int | None,
        cursor: str | None,
    ) -> Page[User]:
        scope = fingerprint("users", q=q, workspace_id=workspace_id)
        request = page_request(limit, cursor, scope, key_type=tuple[str, str])
        among: set[str] | None
        if workspace_id is not None:
            workspace = await self._workspaces.get(workspace_id)
            is_member = workspace is not None and workspace.member(actor.user_id) is not None
            if (
                workspace is None
                or workspace.is_deleted
                or not (is_member or actor.is_system_admin)
            ):
                raise DomainError(ErrorCode.WORKSPACE_NOT_FOUND, f"No workspace {workspace_id}")
            among = {member.user_id for member in workspace.members}
        elif actor.is_system_admin:
            among = None
        else:
            # "users who share ≥1 workspace with the caller": nobody, without a workspace.
            among = await self.co_member_ids(actor.user_id, include_self=False)
        after = (request.after[0], request.after[1]) if request.after else None
        rows = await self._users.search(q=q, among=among, after=after, limit=request.limit + 1)
        return make_page(rows, request, scope, lambda u: (u.username.lower(), u.id))
