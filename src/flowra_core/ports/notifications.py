"""Notification inboxes: the inbox state documents (the write side) and the per-notification
read model the inbox API queries (operations.md §6 `notifications`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

import msgspec

from flowra_core.domain.notification.state import Inbox, Notification, NotificationType
from flowra_core.ports.state_store import StateStore

NotificationPosition = tuple[datetime, str]
"""(created_at, id): the newest-first sort key of the inbox list."""


class NotificationRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One notification as the inbox API shows it.

    `created_at` is the time of its `notification.created` event and `version` the inbox
    version that event took: a mark-all-read reaches only the notifications it saw.
    """

    notification: Notification
    created_at: datetime
    version: int

    @property
    def position(self) -> NotificationPosition:
        return (self.created_at, self.notification.id)

    @property
    def about(self) -> tuple[str | None, str | None]:
        """The (workspace, chat) the notification is about."""
        return (self.notification.workspace_id, self.notification.chat_id)


class NotificationStore(StateStore[Inbox], Protocol):
    """Every write below is idempotent, so a replayed commit changes nothing."""

    async def add(self, record: NotificationRecord) -> None:
        """Insert the record unless one with its id was ever stored (a deleted one included:
        a late replay never brings a deleted notification back)."""
        ...

    async def mark_read(
        self, user_id: str, notification_ids: Collection[str], *, read_at: datetime
    ) -> None:
        """Set `read_at` on those of the user's notifications still unread."""
        ...

    async def mark_all_read(self, user_id: str, *, read_at: datetime, up_to_version: int) -> None:
        """Set `read_at` on every unread notification created at inbox version
        `up_to_version` or before."""
        ...

    async def remove(self, user_id: str, notification_id: str) -> None:
        """Take the notification out of the read model for good."""
        ...

    async def record(self, user_id: str, notification_id: str) -> NotificationRecord | None:
        """The user's notification, or None when absent, deleted or someone else's."""
        ...

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
        """The user's notifications whose workspace is in `workspace_ids` (None there admits
        those with no workspace), newest first by (created_at, id), strictly before
        `before`; index (user_id, created_at)."""
        ...

    async def unread_count(self, user_id: str, *, workspace_ids: Collection[str | None]) -> int:
        """Unread notifications of the user in those workspaces; index (user_id, read_at)."""
        ...
