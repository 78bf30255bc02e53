"""An in-memory audit log, newest first like the Mongo indexes serve it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flowra_core.domain.audit import AuditEntry
from flowra_core.ports.audit import AuditFilter


def matches(entry: AuditEntry, where: AuditFilter) -> bool:
    return (
        (where.workspace_id is None or entry.workspace_id == where.workspace_id)
        and (where.actor_id is None or entry.actor_id == where.actor_id)
        and (where.action is None or entry.action is where.action)
        and (where.since is None or entry.at >= where.since)
        and (where.until is None or entry.at < where.until)
    )


class InMemoryAuditLog:
    def __init__(self) -> None:
        self._entries: list[AuditEntry] = []

    async def append(self, entry: AuditEntry) -> None:
        self._entries.append(entry)

    async def find(
        self, where: AuditFilter, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[AuditEntry]:
        rows = sorted(
            (e for e in self._entries if matches(e, where)),
            key=lambda e: (e.at, e.id),
            reverse=True,
        )
        if after is not None:
            rows = [e for e in rows if (e.at, e.id) < after]
        return rows[:limit]

    async def prune(self, before: datetime) -> int:
        kept = [e for e in self._entries if e.at >= before]
        pruned = len(self._entries) - len(kept)
        self._entries = kept
        return pruned

    def all_entries(self) -> list[AuditEntry]:
        return list(self._entries)
