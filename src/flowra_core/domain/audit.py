"""Audit log entries: who did what to which resource, when, from where, and how it ended.

Entries never hold message contents, secrets or invite tokens: only ids, the action's name and
the request's metadata."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class AuditAction(StrEnum):
    SIGN_IN = "auth.sign_in"
    TOKEN_CREATED = "token.created"  # noqa: S105 - an action name
    TOKEN_REVOKED = "token.revoked"  # noqa: S105 - an action name
    BOT_CREATED = "bot.created"
    MEMBER_ADDED = "member.added"
    MEMBER_REMOVED = "member.removed"
    MEMBER_LEFT = "member.left"
    MEMBER_ROLE_CHANGED = "member.role_changed"
    OWNERSHIP_TRANSFERRED = "workspace.ownership_transferred"
    WORKSPACE_UPDATED = "workspace.updated"
    WORKSPACE_DELETED = "workspace.deleted"
    INVITE_CREATED = "invite.created"
    INVITE_REVOKED = "invite.revoked"
    INVITE_ACCEPTED = "invite.accepted"
    CHAT_DELETED = "chat.deleted"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_CHANGED = "webhook.changed"
    WEBHOOK_DELETED = "webhook.deleted"
    DATA_EXPORTED = "data.exported"


class AuditOutcome(StrEnum):
    SUCCESS = "success"
    DENIED = "denied"  # refused: not signed in, no right, not visible
    FAILED = "failed"  # bad input, conflict or an outage


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    at: datetime
    action: AuditAction
    outcome: AuditOutcome
    actor_id: str | None  # the user or bot; None when nobody was authenticated
    token_id: str | None = None  # the API token used, if any
    workspace_id: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    request_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    status: int | None = None  # the HTTP status answered


def outcome_of(status: int) -> AuditOutcome:
    if status < 400:
        return AuditOutcome.SUCCESS
    if status in (401, 403, 404):
        return AuditOutcome.DENIED
    return AuditOutcome.FAILED
