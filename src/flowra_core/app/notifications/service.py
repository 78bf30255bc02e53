"""Notification inboxes (http-api.md "Notifications"): delivery into a recipient's inbox, the
inbox API, and the per-notification read model it queries.

Each recipient's inbox is one aggregate (type `notification`, see `notification_inbox`).
Only the recipient reaches an inbox: someone else's notification is simply not in the
caller's, hence 404 NOTIFICATION_NOT_FOUND. Only notifications from workspaces the caller is
still a member of (and those about no workspace) are listed or counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flowra_core.app.actor import Actor
from flowra_core.app.notifications.inbox import inbox_kind, inbox_stream_id, routed
from flowra_core.app.pagination import Page, fingerprint, make_page, page_request
from flowra_core.app.write_path import Decide, WritePath
from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.events import DomainEvent
from flowra_core.domain.notification import (
    Inbox,
    NotificationDraft,
    NotificationType,
    delete_notification,
    deliver_notification,
    mark_all_read,
    mark_read,
)
from flowra_core.ports.notifications import NotificationRecord, NotificationStore
from flowra_core.ports.workspaces import WorkspaceStore


@dataclass(frozen=True, slots=True)
class NotificationView:
    """The Notification resource."""

    id: str
    type: NotificationType
    title: str
    body: str
    workspace_id: str | None
    chat_id: str | None
    message_id: str | None
    actor_id: str | None
    is_read: bool
    read_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, record: NotificationRecord) -> NotificationView:
        n = record.notification
        return cls(
            id=n.id,
            type=n.type,
            title=n.title,
            body=n.body,
            workspace_id=n.workspace_id,
            chat_id=n.chat_id,
            message_id=n.message_id,
            actor_id=n.actor_id,
            is_read=n.is_read,
            read_at=n.read_at,
            created_at=record.created_at,
        )


def _notification_not_found(notification_id: str) -> DomainError:
    return DomainError(ErrorCode.NOTIFICATION_NOT_FOUND, f"No notification {notification_id}")


def _type_filter(text: str | None) -> NotificationType | None:
    """`type` query filter: case-insensitive, canonical spelling; 422 on `type` otherwise."""
    if text is None:
        return None
    wanted = text.strip().lower()
    for notification_type in NotificationType:
        if notification_type.value == wanted:
            return notification_type
    allowed = ", ".join(t.value for t in NotificationType)
    raise ValidationFailed.single("type", f"must be one of {allowed}")


class NotificationService:
    def __init__(
        self, write: WritePath, store: NotificationStore, workspaces: WorkspaceStore
    ) -> None:
        self._write = write
        self._store = store
        self._workspaces = workspaces
        self._kind = inbox_kind(store)

    async def _commit(
        self,
        user_id: str,
        decide: Decide[Inbox],
        *,
        about: tuple[str | None, str | None],
        actor_id: str | None,
    ) -> bool:
        """Run `decide` on the user's inbox; `about` is the (workspace, chat) of its events."""
        outcome = await self._write.execute(
            routed(self._kind, *about), inbox_stream_id(user_id), decide, actor_id=actor_id
        )
        return outcome.changed

    async def deliver(self, draft: NotificationDraft) -> bool:
        """Put the drafted notification into its recipient's inbox; False when that source
        event already notified them (a redelivery)."""
        notification_id = self._write.ids.new_id()
        return await self._commit(
            draft.user_id,
            lambda inbox: deliver_notification(inbox, draft, notification_id=notification_id),
            about=(draft.workspace_id, draft.chat_id),
            actor_id=draft.actor_id,
        )

    async def _scope(self, actor: Actor, workspace_id: str | None) -> list[str | None]:
        """The workspaces whose notifications the caller sees (None: those about none)."""
        member_of = list(await self._workspaces.ids_of_member(actor.user_id))
        if workspace_id is None:
            return [*member_of, None]
        return [workspace_id] if workspace_id in member_of else []

    async def list(
        self,
        actor: Actor,
        *,
        unread_only: bool = False,
        workspace_id: str | None = None,
        type: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[NotificationView]:
        """The caller's notifications, newest first."""
        notification_type = _type_filter(type)
        scope = fingerprint(
            "notifications",
            unread_only=unread_only,
            workspace_id=workspace_id,
            type=notification_type,
        )
        request = page_request(limit, cursor, scope, key_type=tuple[datetime, str])
        before = (request.after[0], request.after[1]) if request.after else None
        rows = await self._store.newest(
            actor.user_id,
            workspace_ids=await self._scope(actor, workspace_id),
            unread_only=unread_only,
            notification_type=notification_type,
            before=before,
            limit=request.limit + 1,
        )
        page = make_page(rows, request, scope, lambda record: record.position)
        return Page([NotificationView.of(record) for record in page.items], page.next_cursor)

    async def unread_count(self, actor: Actor, workspace_id: str | None = None) -> int:
        return await self._store.unread_count(
            actor.user_id, workspace_ids=await self._scope(actor, workspace_id)
        )

    async def _own(self, actor: Actor, notification_id: str) -> NotificationRecord:
        record = await self._store.record(actor.user_id, notification_id)
        if record is None:
            raise _notification_not_found(notification_id)
        return record

    async def mark_read(self, actor: Actor, notification_id: str) -> NotificationView:
        """Idempotent: an already read notification keeps its `read_at`."""
        record = await self._own(actor, notification_id)
        now = self._write.clock.now()
        await self._commit(
            actor.user_id,
            lambda inbox: mark_read(inbox, [notification_id], now=now),
            about=record.about,
            actor_id=actor.user_id,
        )
        return NotificationView.of(await self._own(actor, notification_id))

    async def mark_all_read(self, actor: Actor, workspace_id: str | None = None) -> int:
        """Mark every unread notification read (only those of `workspace_id` when given);
        returns how many of those the caller could see were marked."""
        visible = set(await self._scope(actor, workspace_id))
        if not visible:
            return 0
        now = self._write.clock.now()
        marked = 0

        def decide(inbox: Inbox | None) -> Sequence[DomainEvent]:
            nonlocal marked
            unread = () if inbox is None else inbox.unread(workspace_id)
            marked = sum(1 for n in unread if n.workspace_id in visible)
            return mark_all_read(inbox, now=now, workspace_id=workspace_id)

        await self._commit(
            actor.user_id, decide, about=(workspace_id, None), actor_id=actor.user_id
        )
        return marked

    async def delete(self, actor: Actor, notification_id: str) -> None:
        record = await self._own(actor, notification_id)
        await self._commit(
            actor.user_id,
            lambda inbox: delete_notification(inbox, notification_id),
            about=record.about,
            actor_id=actor.user_id,
        )
