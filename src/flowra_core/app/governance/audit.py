"""The audit log: recording (when enabled) and reading it, with who may read what.

Owners and admins read their workspace's entries; system admins read every entry. There is no
edit or delete: entries leave only through retention (`prune`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.app.pagination import MAX_LIMIT, Page, fingerprint, make_page, page_request
from flowra_core.domain.audit import AuditAction, AuditEntry
from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.tokens import TokenScope
from flowra_core.ports.audit import AuditFilter, AuditLog
from flowra_core.ports.workspaces import WorkspaceStore


def parse_action(raw: str | None) -> AuditAction | None:
    if raw is None:
        return None
    try:
        return AuditAction(raw)
    except ValueError:
        known = ", ".join(action.value for action in AuditAction)
        raise ValidationFailed.single("action", f"unknown action; one of {known}") from None


class AuditService:
    def __init__(self, log: AuditLog, workspaces: WorkspaceStore, *, enabled: bool) -> None:
        self._log = log
        self._workspaces = workspaces
        self.enabled = enabled

    async def record(self, entry: AuditEntry) -> bool:
        """Append `entry` unless auditing is off; whether it was written."""
        if not self.enabled:
            return False
        await self._log.append(entry)
        return True

    async def _require_reader(self, actor: Actor, workspace_id: str | None) -> None:
        policy.require_token_scope(actor, TokenScope.ADMIN, "read the audit log")
        if workspace_id is None:
            if not actor.is_system_admin:
                raise DomainError(
                    ErrorCode.FORBIDDEN, "Only system administrators read every workspace's log"
                )
            return
        if actor.is_system_admin:
            return
        workspace = policy.visible_workspace(
            await self._workspaces.get(workspace_id), actor, workspace_id
        )
        policy.require_workspace_admin(workspace, actor, "read this workspace's audit log")

    async def read(
        self, actor: Actor, where: AuditFilter, *, limit: int | None, cursor: str | None
    ) -> Page[AuditEntry]:
        await self._require_reader(actor, where.workspace_id)
        if where.since is not None and where.until is not None and where.since >= where.until:
            raise ValidationFailed.single("since", "must be before until")
        scope = fingerprint(
            "audit",
            workspace_id=where.workspace_id,
            actor_id=where.actor_id,
            action=where.action,
            since=where.since.isoformat() if where.since else None,
            until=where.until.isoformat() if where.until else None,
        )
        request = page_request(limit, cursor, scope, key_type=tuple[datetime, str])
        after = (request.after[0], request.after[1]) if request.after else None
        rows = await self._log.find(where, after=after, limit=request.limit + 1)
        return make_page(rows, request, scope, lambda e: (e.at, e.id))

    async def export(self, actor: Actor, where: AuditFilter) -> AsyncIterator[AuditEntry]:
        """Every matching entry, newest first, read page by page (the caller streams them)."""
        await self._require_reader(actor, where.workspace_id)
        return self._pages(where)

    async def _pages(self, where: AuditFilter) -> AsyncIterator[AuditEntry]:
        after: tuple[datetime, str] | None = None
        while True:
            rows = await self._log.find(where, after=after, limit=MAX_LIMIT)
            for entry in rows:
                yield entry
            if len(rows) < MAX_LIMIT:
                return
            after = (rows[-1].at, rows[-1].id)

    async def prune(self, before: datetime) -> int:
        return await self._log.prune(before)
