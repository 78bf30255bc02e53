"""Workspace aggregate state: the workspace, its members and its invites (domain.md §2)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class MemberRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class InviteStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"
    REVOKED = "revoked"


class Member(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str
    role: MemberRole
    joined_at: datetime


class Invite(msgspec.Struct, frozen=True, kw_only=True):
    """An invite as rebuilt from events: `token_hash` stands in for the token (see invites.py)."""

    id: str
    workspace_id: str
    token_hash: str
    role: MemberRole
    created_by: str
    created_at: datetime
    expires_at: datetime
    max_uses: int
    used_count: int
    revoked_at: datetime | None

    def status(self, now: datetime) -> InviteStatus:
        """Derived status; the order of the checks is the spec's precedence."""
        if self.revoked_at is not None:
            return InviteStatus.REVOKED
        if now >= self.expires_at:
            return InviteStatus.EXPIRED
        if self.max_uses > 0 and self.used_count >= self.max_uses:
            return InviteStatus.EXHAUSTED
        return InviteStatus.ACTIVE


class Workspace(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    description: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    members: tuple[Member, ...]
    invites: tuple[Invite, ...]
    version: int

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def owner_id(self) -> str:
        return next(member.user_id for member in self.members if member.role is MemberRole.OWNER)

    @property
    def member_count(self) -> int:
        return len(self.members)

    def member(self, user_id: str) -> Member | None:
        return next((member for member in self.members if member.user_id == user_id), None)

    def is_admin(self, user_id: str) -> bool:
        """True for the owner and for admins: the spec's "workspace admin"."""
        member = self.member(user_id)
        return member is not None and member.role in (MemberRole.OWNER, MemberRole.ADMIN)

    def invite(self, invite_id: str) -> Invite | None:
        return next((invite for invite in self.invites if invite.id == invite_id), None)

    def invite_by_token_hash(self, token_hash: str) -> Invite | None:
        return next((invite for invite in self.invites if invite.token_hash == token_hash), None)
