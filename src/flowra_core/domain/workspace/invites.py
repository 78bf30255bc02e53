"""Invite decide functions: create, revoke, accept (domain.md §2 "Invite").

The token and the event journal. The spec says the invite token never appears in any event,
yet the state must be rebuilt from events alone. So `invite.created` carries `token_hash`, the
SHA-256 hex digest of the token, and never the token. The application layer keeps the plaintext
token in the invites read model (shown to workspace admins and in the create response), finds
an invite by token there, and hands the presented token to `accept_invite`, which matches it
against the hashes in the state. A digest of 32 random bytes cannot be turned back into the
token, so events stay safe to publish and replay.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from flowra_core.domain.errors import DomainError, ErrorCode, FieldError, ValidationFailed
from flowra_core.domain.events import DomainEvent
from flowra_core.domain.workspace.events import (
    InviteCreated,
    InviteRevoked,
    InviteUsed,
    MemberAdded,
)
from flowra_core.domain.workspace.rules import parse_assignable_role, require_live
from flowra_core.domain.workspace.state import InviteStatus, MemberRole, Workspace

INVITE_DEFAULT_LIFETIME = timedelta(days=7)
INVITE_MAX_LIFETIME = timedelta(days=30)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
_REFUSED_STATUS = {
    InviteStatus.REVOKED: (ErrorCode.INVITE_REVOKED, "This invite was revoked"),
    InviteStatus.EXPIRED: (ErrorCode.INVITE_EXPIRED, "This invite has expired"),
    InviteStatus.EXHAUSTED: (ErrorCode.INVITE_EXHAUSTED, "This invite has no uses left"),
}


def invite_token_hash(token: str) -> str:
    """The key that stands for a token in events and state: SHA-256, lowercase hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_invite(
    workspace: Workspace | None,
    *,
    invite_id: str,
    token: str,
    role: str | None = None,
    expires_at: datetime | None = None,
    max_uses: int | None = None,
    created_by: str,
    now: datetime,
) -> list[DomainEvent]:
    """`token` is the generated 43-char URL-safe token (32 random bytes, base64url)."""
    require_live(workspace)
    if _TOKEN.fullmatch(token) is None:
        raise ValueError("an invite token is 43 URL-safe base64 characters")
    parsed_role = MemberRole.MEMBER if role is None else parse_assignable_role(role)
    expiry = now + INVITE_DEFAULT_LIFETIME if expires_at is None else expires_at
    uses = 0 if max_uses is None else max_uses
    errors: list[FieldError] = []
    if isinstance(parsed_role, FieldError):
        errors.append(parsed_role)
    if not now < expiry <= now + INVITE_MAX_LIFETIME:
        errors.append(
            FieldError("expires_at", "expires_at must be in the future and at most 30 days ahead")
        )
    if uses < 0:
        errors.append(FieldError("max_uses", "max_uses must be 0 (unlimited) or more"))
    if errors or isinstance(parsed_role, FieldError):
        raise ValidationFailed(errors)
    return [
        InviteCreated(
            invite_id=invite_id,
            role=parsed_role,
            expires_at=expiry,
            max_uses=uses,
            created_by=created_by,
            token_hash=invite_token_hash(token),
            created_at=now,
        )
    ]


def revoke_invite(
    workspace: Workspace | None, *, invite_id: str, revoked_by: str, now: datetime
) -> list[DomainEvent]:
    """Idempotent: revoking a revoked invite changes nothing."""
    invite = require_live(workspace).invite(invite_id)
    if invite is None:
        raise DomainError(ErrorCode.INVITE_NOT_FOUND, f"No invite {invite_id} in this workspace")
    if invite.revoked_at is not None:
        return []
    return [InviteRevoked(invite_id=invite_id, revoked_by=revoked_by, revoked_at=now)]


def accept_invite(
    workspace: Workspace | None, *, token: str, user_id: str, now: datetime
) -> list[DomainEvent]:
    """Only an active invite is accepted; an existing member succeeds without using it."""
    current = require_live(workspace)
    invite = current.invite_by_token_hash(invite_token_hash(token))
    if invite is None:
        raise DomainError(ErrorCode.INVITE_NOT_FOUND, "No invite with this token")
    refused = _REFUSED_STATUS.get(invite.status(now))
    if refused is not None:
        raise DomainError(*refused)
    if current.member(user_id) is not None:
        return []
    return [
        MemberAdded(
            user_id=user_id, role=invite.role, added_by=user_id, invite_id=invite.id, joined_at=now
        ),
        InviteUsed(invite_id=invite.id, user_id=user_id, used_count=invite.used_count + 1),
    ]
