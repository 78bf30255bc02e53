"""The audit log's storage (collection `audit_log`): append and read, never edit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flowra_core.domain.audit import AuditAction, AuditEntry


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """`workspace_id` None: every workspace (system admins). Newest first."""

    workspace_id: str | None
    actor_id: str | None = None
    action: AuditAction | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


class AuditLog(Protocol):
    async def append(self, entry: AuditEntry) -> None: ...

    async def find(
        self, where: AuditFilter, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[AuditEntry]:
        """Entries matching `where`, newest first, strictly after the (at, id) key; served by
        one index led by the workspace (or not), then the actor or action, then -at."""
        ...

    async def prune(self, before: datetime) -> int:
        """Delete entries older than `before` (retention); how many went."""
        ...
