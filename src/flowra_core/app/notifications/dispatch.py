"""The dispatch consumer (operations.md §4 "Dispatch", §5): published events in, notifications
out (domain.md §5).

It runs after the triggering commit, so the chat it reads may already be newer than the event;
the rules take the event's own values (new assignee, new status) from its payload and only the
chat's title, creator, current assignee and readers from the stored chat. Redelivery is
harmless: an inbox remembers which source events already notified it.
"""

from __future__ import annotations

from typing import Final

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.app.notifications.service import NotificationService
from flowra_core.domain.chat.events import (
    ChatClosed,
    ChatParticipantAdded,
    ChatReopened,
    ChatStatusChanged,
    ChatUserAssigned,
)
from flowra_core.domain.chat.state import Chat
from flowra_core.domain.events import DomainEvent, EventEnvelope
from flowra_core.domain.message.events import MessageCreated
from flowra_core.domain.message.values import MessageType
from flowra_core.domain.notification import NotificationContext, notifications_for
from flowra_core.domain.workspace.state import Workspace
from flowra_core.ports.chats import ChatStore
from flowra_core.ports.users import UserStore
from flowra_core.ports.workspaces import WorkspaceStore

# Named in a body when the event has no actor (a worker or sync action).
UNKNOWN_ACTOR: Final = "Someone"


# The events `_may_notify` may say yes to: what the dispatch reaction registers for.
NOTIFYING_EVENTS: Final = frozenset(
    cls.event_type()
    for cls in (
        ChatUserAssigned,
        ChatStatusChanged,
        ChatClosed,
        ChatReopened,
        ChatParticipantAdded,
        MessageCreated,
    )
)


def _may_notify(event: DomainEvent) -> bool:
    """Cheap pre-check of domain.md §5's triggers, before any store is read."""
    match event:
        case ChatUserAssigned() | ChatStatusChanged() | ChatClosed() | ChatReopened():
            return True
        case ChatParticipantAdded(user_id=user_id, added_by=added_by):
            return user_id != added_by
        case MessageCreated(message_type=MessageType.USER, mentions=mentions):
            return bool(mentions)
    return False


def _chat_id_of(envelope: EventEnvelope) -> str:
    event = envelope.event
    return event.chat_id if isinstance(event, MessageCreated) else envelope.aggregate_id


class NotificationDispatcher:
    def __init__(
        self,
        notifications: NotificationService,
        chats: ChatStore,
        users: UserStore,
        workspaces: WorkspaceStore,
    ) -> None:
        self._notifications = notifications
        self._chats = chats
        self._users = users
        self._workspaces = workspaces

    async def handle(self, envelope: EventEnvelope) -> None:
        """Deliver the notifications `envelope` causes; safe to call again with it."""
        if not _may_notify(envelope.event):
            return
        chat = await self._chats.get(_chat_id_of(envelope))
        if chat is None or chat.is_deleted:
            return
        workspace = await self._workspaces.get(chat.workspace_id)
        if workspace is None or workspace.is_deleted:
            return
        context = await self._context(envelope, chat, workspace)
        drafts = notifications_for(
            envelope.event,
            event_id=envelope.event_id,
            actor_id=envelope.actor_id,
            context=context,
        )
        for draft in drafts:
            if workspace.member(draft.user_id) is not None:
                await self._notifications.deliver(draft)

    async def _context(
        self, envelope: EventEnvelope, chat: Chat, workspace: Workspace
    ) -> NotificationContext:
        def can_read(user_id: str) -> bool:
            return policy.can_read_chat(chat, workspace, Actor(user_id))

        return NotificationContext(
            workspace_id=workspace.id,
            chat_id=chat.id,
            chat_title=chat.title,
            actor_display_name=await self._actor_name(envelope.actor_id),
            assignee_id=chat.assignee_id,
            creator_id=chat.created_by,
            can_read=can_read,
        )

    async def _actor_name(self, actor_id: str | None) -> str:
        actor = None if actor_id is None else await self._users.get(actor_id)
        return UNKNOWN_ACTOR if actor is None else actor.display_name
