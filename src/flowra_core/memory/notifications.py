"""In-memory inboxes: the inbox state documents plus the per-notification read model."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from msgspec.structs import replace

from flowra_core.domain.notification.state import Inbox, NotificationType
from flowra_core.memory.state_store import InMemoryStateStore
from flowra_core.ports.notifications import NotificationPosition, NotificationRecord


class InMemoryNotificationStore(InMemoryStateStore[Inbox]):
    def __init__(self) -> None:
        super().__init__()
        self._records: dict[str, NotificationRecord] = {}
        self._removed: set[str] = set()

    async def add(self, record: NotificationRecord) -> None:
        notification_id = record.notification.id
        if notification_id not in self._records and notification_id not in self._removed:
            self._records[notification_id] = record

    async def mark_read(
        self, user_id: str, notification_ids: Collection[str], *, read_at: datetime
    ) -> None:
        for notification_id in notification_ids:
            record = self._records.get(notification_id)
            if record is not None and record.notification.user_id == user_id:
                self._read(record, read_at)

    async def mark_all_read(self, user_id: str, *, read_at: datetime, up_to_version: int) -> None:
        for record in list(self._records.values()):
            if record.notification.user_id == user_id and record.version <= up_to_version:
                self._read(record, read_at)

    def _read(self, record: NotificationRecord, read_at: datetime) -> None:
        if not record.notification.is_read:
            read = replace(record.notification, read_at=read_at)
            self._records[read.id] = replace(record, notification=read)

    async def remove(self, user_id: str, notification_id: str) -> None:
        record = self._records.get(notification_id)
        if record is None or record.notification.user_id == user_id:
            self._records.pop(notification_id, None)
            self._removed.add(notification_id)

    async def record(self, user_id: str, notification_id: str) -> NotificationRecord | None:
        record = self._records.get(notification_id)
        if record is None or record.notification.user_id != user_id:
            return None
        return record

    async def newest(
        self,
        user_id: str,
        *,
        workspace_ids: Collection[str | None],
        unread_only: bool,
        notification_type: NotificationType | None,
        before: NotificationPosition | None,
        limit: int,
    ) -> Sequence[NotificationRecord]:
        rows = sorted(
            (
                record
                for record in self._in_scope(user_id, workspace_ids)
                if not (unread_only and record.notification.is_read)
                and (notification_type is None or record.notification.type is notification_type)
                and (before is None or record.position < before)
            ),
            key=lambda record: record.position,
            reverse=True,
        )
        return rows[:limit]

    async def unread_count(self, user_id: str, *, workspace_ids: Collection[str | None]) -> int:
        return sum(
            1
            for record in self._in_scope(user_id, workspace_ids)
            if not record.notification.is_read
        )

    def _in_scope(
        self, user_id: str, workspace_ids: Collection[str | None]
    ) -> list[NotificationRecord]:
        scope = set(workspace_ids)
        return [
            record
            for record in self._records.values()
            if record.notification.user_id == user_id and record.notification.workspace_id in scope
        ]
