"""Writes an audit entry for every request to an audited route, whatever its outcome.

One table maps routes to actions, so controllers stay unaware of auditing. The entry is written
after the response went out (an outage of the audit store never fails the action itself, it is
logged instead) and always logged with `"audit": true` for shipping to a SIEM."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Litestar
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from loguru import logger

from flowra_core.app.governance.services import Governance
from flowra_core.domain.audit import AuditAction, AuditEntry, outcome_of
from flowra_core.domain.errors import FlowraError
from flowra_entrypoints.http.limits import client_ip
from flowra_entrypoints.http.problems import STATUS_OF
from flowra_entrypoints.http.request_context import request_id_of, user_id_of
from flowra_entrypoints.metrics import Metrics, route_label
from flowra_entrypoints.transport_errors import TransportError

_BODY_CAP = 64 * 1024  # creation responses are small; a larger one is not parsed
_log = logger.bind(logger="audit", audit=True)


@dataclass(frozen=True, slots=True)
class AuditRule:
    action: AuditAction
    target_type: str | None = None
    target_param: str | None = None  # the path parameter naming the target
    target_body: tuple[str, ...] = ()  # else the target id's path in the JSON response
    actor_body: tuple[str, ...] = ()  # sign-ins: the user is in the response
    workspace_body: tuple[str, ...] = ()  # invite acceptance: the workspace is in the response


W = "/api/v1/workspaces/{workspace_id}"
_SIGN_IN = AuditRule(
    AuditAction.SIGN_IN, "user", target_body=("user", "id"), actor_body=("user", "id")
)
RULES: dict[tuple[str, str], AuditRule] = {
    ("POST", "/api/v1/auth/dev/token"): _SIGN_IN,
    ("POST", "/api/v1/auth/token"): _SIGN_IN,
    ("GET", "/api/v1/auth/callback"): AuditRule(AuditAction.SIGN_IN),
    ("POST", "/api/v1/tokens"): AuditRule(
        AuditAction.TOKEN_CREATED, "token", target_body=("token", "id")
    ),
    ("DELETE", "/api/v1/tokens/{token_id}"): AuditRule(
        AuditAction.TOKEN_REVOKED, "token", target_param="token_id"
    ),
    ("POST", W + "/bots"): AuditRule(AuditAction.BOT_CREATED, "user", target_body=("user_id",)),
    ("POST", W + "/members"): AuditRule(AuditAction.MEMBER_ADDED, "user", target_body=("user_id",)),
    ("PATCH", W + "/members/{user_id}"): AuditRule(
        AuditAction.MEMBER_ROLE_CHANGED, "user", target_param="user_id"
    ),
    ("DELETE", W + "/members/{user_id}"): AuditRule(
        AuditAction.MEMBER_REMOVED, "user", target_param="user_id"
    ),
    ("POST", W + "/leave"): AuditRule(AuditAction.MEMBER_LEFT, "workspace", "workspace_id"),
    ("POST", W + "/transfer-ownership"): AuditRule(
        AuditAction.OWNERSHIP_TRANSFERRED, "workspace", "workspace_id"
    ),
    ("PATCH", W): AuditRule(AuditAction.WORKSPACE_UPDATED, "workspace", "workspace_id"),
    ("DELETE", W): AuditRule(AuditAction.WORKSPACE_DELETED, "workspace", "workspace_id"),
    ("POST", W + "/invites"): AuditRule(AuditAction.INVITE_CREATED, "invite", target_body=("id",)),
    ("DELETE", W + "/invites/{invite_id}"): AuditRule(
        AuditAction.INVITE_REVOKED, "invite", target_param="invite_id"
    ),
    # The path holds the invite token, a secret: only the workspace joined is recorded.
    ("POST", "/api/v1/invites/{token}/accept"): AuditRule(
        AuditAction.INVITE_ACCEPTED, "workspace", target_body=("id",), workspace_body=("id",)
    ),
    ("DELETE", W + "/chats/{chat_id}"): AuditRule(
        AuditAction.CHAT_DELETED, "chat", target_param="chat_id"
    ),
    ("POST", W + "/webhooks"): AuditRule(
        AuditAction.WEBHOOK_CREATED, "webhook", target_body=("id",)
    ),
    ("PATCH", W + "/webhooks/{endpoint_id}"): AuditRule(
        AuditAction.WEBHOOK_CHANGED, "webhook", target_param="endpoint_id"
    ),
    ("DELETE", W + "/webhooks/{endpoint_id}"): AuditRule(
        AuditAction.WEBHOOK_DELETED, "webhook", target_param="endpoint_id"
    ),
    ("GET", W + "/audit/export"): AuditRule(AuditAction.DATA_EXPORTED, "audit_log"),
    ("GET", "/api/v1/audit/export"): AuditRule(AuditAction.DATA_EXPORTED, "audit_log"),
}

# The web client's writes of the same actions (HTML answers: targets come from the path only).
WEB = "/workspaces/{workspace_id}"
WEB_HOOK = WEB + "/webhooks/{endpoint_id}"
_HOOK_CHANGED = AuditRule(AuditAction.WEBHOOK_CHANGED, "webhook", target_param="endpoint_id")
RULES.update(
    {
        ("POST", WEB + "/tokens"): AuditRule(AuditAction.TOKEN_CREATED, "token"),
        ("POST", WEB + "/tokens/{token_id}/revoke"): AuditRule(
            AuditAction.TOKEN_REVOKED, "token", target_param="token_id"
        ),
        ("POST", WEB + "/webhooks"): AuditRule(AuditAction.WEBHOOK_CREATED, "webhook"),
        ("POST", WEB_HOOK): _HOOK_CHANGED,
        ("POST", WEB_HOOK + "/enable"): _HOOK_CHANGED,
        ("POST", WEB_HOOK + "/disable"): _HOOK_CHANGED,
        ("POST", WEB_HOOK + "/reactivate"): _HOOK_CHANGED,
        ("POST", WEB_HOOK + "/delete"): AuditRule(
            AuditAction.WEBHOOK_DELETED, "webhook", target_param="endpoint_id"
        ),
        ("GET", WEB + "/audit/export"): AuditRule(AuditAction.DATA_EXPORTED, "audit_log"),
        ("POST", WEB + "/settings"): AuditRule(
            AuditAction.WORKSPACE_UPDATED, "workspace", "workspace_id"
        ),
        ("POST", WEB + "/delete"): AuditRule(
            AuditAction.WORKSPACE_DELETED, "workspace", "workspace_id"
        ),
        ("POST", WEB + "/leave"): AuditRule(AuditAction.MEMBER_LEFT, "workspace", "workspace_id"),
        ("POST", WEB + "/transfer"): AuditRule(
            AuditAction.OWNERSHIP_TRANSFERRED, "workspace", "workspace_id"
        ),
        ("POST", WEB + "/members/{user_id}/role"): AuditRule(
            AuditAction.MEMBER_ROLE_CHANGED, "user", target_param="user_id"
        ),
        ("POST", WEB + "/members/{user_id}/remove"): AuditRule(
            AuditAction.MEMBER_REMOVED, "user", target_param="user_id"
        ),
        ("POST", WEB + "/invites"): AuditRule(AuditAction.INVITE_CREATED, "invite"),
        ("POST", WEB + "/invites/{invite_id}/revoke"): AuditRule(
            AuditAction.INVITE_REVOKED, "invite", target_param="invite_id"
        ),
    }
)


def mark_token(scope: Any, token_id: str) -> None:
    """Remember the API token a request authenticated with (auth.py)."""
    scope.setdefault("state", {})["token_id"] = token_id


def _status_of(error: Exception) -> int:
    if isinstance(error, FlowraError | TransportError):
        return STATUS_OF[error.code]
    if isinstance(error, HTTPException):
        return error.status_code
    return 500


def _dig(body: Any, path: tuple[str, ...]) -> str | None:
    for key in path:
        body = body.get(key) if isinstance(body, dict) else None
    return body if isinstance(body, str) else None


class AuditTrailMiddleware:
    def __init__(self, app: ASGIApp, trusted_proxies: tuple[str, ...] = ()) -> None:
        self._app = app
        self._trusted = [ipaddress.ip_network(cidr, strict=False) for cidr in trusted_proxies]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        plain: Any = scope  # Litestar types the scope as a union of TypedDicts
        rule = None
        if plain["type"] == "http":
            rule = RULES.get((plain["method"], route_label(plain.get("path_template"))))
        if rule is None:
            await self._app(scope, receive, send)
            return
        status = 500
        chunks: list[bytes] = []
        wants_body = bool(rule.target_body or rule.actor_body or rule.workspace_body)

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif (
                message["type"] == "http.response.body"
                and wants_body
                and status < 300
                and sum(map(len, chunks)) < _BODY_CAP
            ):
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self._app(scope, receive, capture)
        except Exception as error:
            status = _status_of(error)
            await self._record(plain, rule, status, b"")
            raise
        await self._record(plain, rule, status, b"".join(chunks))

    async def _record(self, scope: Any, rule: AuditRule, status: int, raw: bytes) -> None:
        app = Litestar.from_scope(scope)
        governance: Governance | None = getattr(app.state, "governance", None)
        if governance is None or not governance.audit.enabled:
            return
        body: Any = None
        if raw:
            try:
                body = msgspec.json.decode(raw)
            except msgspec.DecodeError:
                body = None
        params: dict[str, Any] = scope.get("path_params") or {}
        state = scope.get("state") or {}
        target = str(params[rule.target_param]) if rule.target_param in params else None
        headers = dict(scope.get("headers") or [])
        entry = AuditEntry(
            id=governance.ids.new_id(),
            at=governance.clock.now(),
            action=rule.action,
            outcome=outcome_of(status),
            actor_id=user_id_of(scope) or _dig(body, rule.actor_body),
            token_id=state.get("token_id") if isinstance(state, dict) else None,
            workspace_id=_dig(body, rule.workspace_body) or params.get("workspace_id"),
            target_type=rule.target_type,
            target_id=target or _dig(body, rule.target_body),
            request_id=request_id_of(scope),
            ip=client_ip(scope, self._trusted),
            user_agent=headers.get(b"user-agent", b"").decode("latin-1")[:256] or None,
            status=status,
        )
        fields = msgspec.to_builtins(entry)
        _log.info("audit {}", entry.action.value, **fields)
        try:
            await governance.audit.record(entry)
        except FlowraError as error:
            _log.error("audit entry not stored", error=error.message, entry_id=entry.id)
            return
        metrics: Metrics = app.state.metrics
        metrics.governance.audit_entries.labels(entry.action.value).inc()
