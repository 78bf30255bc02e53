"""A recipient's inbox as an aggregate on the write path, and the per-notification read
model fed from its commits.

The inbox state document has the user's id; its journal stream is `inbox:<user id>`
(`inbox_stream_id`), because the user aggregate's stream already bears the user id and the
journal keys streams by id alone (unique (aggregate_id, base_version)).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Final

from flowra_core.app.write_path import AggregateKind, Routing
from flowra_core.domain.events import AggregateType, DomainEvent
from flowra_core.domain.notification import (
    Inbox,
    Notification,
    NotificationCreated,
    NotificationDeleted,
    NotificationRead,
)
from flowra_core.domain.notification import evolve as evolve_inbox
from flowra_core.ports.event_store import Commit
from flowra_core.ports.notifications import NotificationRecord, NotificationStore

INBOX_STREAM_PREFIX: Final = "inbox:"


def inbox_stream_id(user_id: str) -> str:
    """The journal stream of the user's inbox: the envelopes' `aggregate_id`."""
    return f"{INBOX_STREAM_PREFIX}{user_id}"


class _InboxDocuments:
    """The inbox state documents (keyed by user id) addressed by inbox stream id."""

    def __init__(self, store: NotificationStore) -> None:
        self._store = store

    async def get(self, aggregate_id: str) -> Inbox | None:
        return await self._store.get(aggregate_id.removeprefix(INBOX_STREAM_PREFIX))

    async def save(self, state: Inbox) -> None:
        await self._store.save(state)

    async def save_new(self, state: Inbox) -> None:
        await self._store.save_new(state)


def inbox_kind(store: NotificationStore) -> AggregateKind[Inbox]:
    """The inbox aggregate, executed on `inbox_stream_id(user_id)`; its events are routed per
    command (see `routed`)."""

    def evolve(state: Inbox | None, event: DomainEvent, _at: datetime, _id: str) -> Inbox:
        return evolve_inbox(state, event)

    return AggregateKind(
        aggregate_type=AggregateType.NOTIFICATION,
        store=_InboxDocuments(store),
        evolve=evolve,
        routing=lambda _inbox: Routing(workspace_id=None, chat_id=None),
    )


def routed(
    kind: AggregateKind[Inbox], workspace_id: str | None, chat_id: str | None
) -> AggregateKind[Inbox]:
    """The inbox kind with the envelopes routed to the workspace and chat the notification is
    about: the inbox state alone cannot tell which notification a command touched."""
    routing = Routing(workspace_id=workspace_id, chat_id=chat_id)
    return dataclasses.replace(kind, routing=lambda _inbox: routing)


def _notification_of(event: NotificationCreated) -> Notification:
    return Notification(
        id=event.notification_id,
        user_id=event.user_id,
        type=event.notification_type,
        title=event.title,
        body=event.body,
        workspace_id=event.workspace_id,
        chat_id=event.chat_id,
        message_id=event.message_id,
        actor_id=event.actor_id,
        source_event_id=event.source_event_id,
    )


class NotificationProjector:
    """Feeds the per-notification read model from inbox commits; idempotent."""

    def __init__(self, store: NotificationStore) -> None:
        self._store = store

    async def project(self, commit: Commit) -> None:
        if commit.aggregate_type is not AggregateType.NOTIFICATION:
            return
        for envelope in commit.events:
            match envelope.event:
                case NotificationCreated() as created:
                    record = NotificationRecord(
                        notification=_notification_of(created),
                        created_at=envelope.occurred_at,
                        version=envelope.version,
                    )
                    await self._store.add(record)
                case NotificationRead(user_id=user_id, all=True, read_at=read_at):
                    await self._store.mark_all_read(
                        user_id, read_at=read_at, up_to_version=envelope.version
                    )
                case NotificationRead(user_id=user_id, notification_ids=ids, read_at=read_at):
                    await self._store.mark_read(user_id, ids, read_at=read_at)
                case NotificationDeleted(user_id=user_id, notification_id=notification_id):
                    await self._store.remove(user_id, notification_id)
