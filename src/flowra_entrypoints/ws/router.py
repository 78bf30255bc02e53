"""Domain events → this instance's connections, by the audience table of websocket.md §4.

Each event is encoded once and the same text is queued for every recipient. Access is judged on
the chat and workspace as stored when the event is routed, never as they were at subscribe time;
a subscriber who can no longer read a chat is told so with `unsubscribed`.
"""

from __future__ import annotations

from collections.abc import Iterable

from flowra_core.app.actor import Actor
from flowra_core.domain.chat.events import ChatDeleted, ChatParticipantAdded, ChatParticipantRemoved
from flowra_core.domain.events import EventEnvelope
from flowra_core.domain.notification.events import (
    NotificationCreated,
    NotificationDeleted,
    NotificationRead,
)
from flowra_core.domain.user.events import UserAdminRightsChanged, UserDeactivated
from flowra_core.domain.workspace.events import MemberRemoved, WorkspaceDeleted
from flowra_core.domain.workspace.state import Workspace
from flowra_entrypoints.ws.access import ChatContext, ChatLookup
from flowra_entrypoints.ws.connection import Connection
from flowra_entrypoints.ws.frames import (
    CloseCode,
    OutboundFrame,
    Unsubscribed,
    UnsubscribeReason,
    encode,
    event_frame,
)
from flowra_entrypoints.ws.hub import Hub


class EventRouter:
    def __init__(self, hub: Hub, lookup: ChatLookup) -> None:
        self._hub = hub
        self._lookup = lookup

    async def route(self, envelope: EventEnvelope) -> None:
        if not len(self._hub):
            return
        family = envelope.type.partition(".")[0]
        if family in ("chat", "message"):
            await self._chat_event(envelope, to_readers=family == "chat")
        elif family in ("workspace", "member"):
            await self._workspace_event(envelope)
        elif family == "invite":
            await self._invite_event(envelope)
        elif family == "notification":
            await self._notification_event(envelope)
        elif family == "user":
            self._user_event(envelope)

    # --- chat.* and message.* ---------------------------------------------------------------

    async def _chat_event(self, envelope: EventEnvelope, *, to_readers: bool) -> None:
        chat_id = envelope.chat_id
        if chat_id is None:
            return
        room = self._hub.room(chat_id)
        if not room and not to_readers:
            return
        context = await self._lookup.get(chat_id)
        if context is None:
            return
        event = envelope.event
        deleted = isinstance(event, ChatDeleted)
        judged = context.before_deletion() if deleted else context
        readable = judged.reader_check()
        recipients: dict[Connection, None] = {}
        revoked: list[Connection] = []
        for connection in room:
            if readable(connection.actor):
                recipients[connection] = None
            else:
                revoked.append(connection)
        if to_readers:
            users = self._hub.users()
            readers = [user_id for user_id in judged.reader_candidates() if user_id in users]
            for connection in self._hub.of_users(readers):
                if readable(connection.actor):
                    recipients[connection] = None
            if isinstance(event, ChatParticipantAdded | ChatParticipantRemoved):
                recipients.update(dict.fromkeys(self._hub.of_user(event.user_id)))
        frame = event_frame(envelope)
        for connection in recipients:
            connection.push(frame, event_id=envelope.event_id, chat_id=chat_id)
        if deleted:
            self._end_subscriptions(room, chat_id, UnsubscribeReason.CHAT_DELETED)
        else:
            self._end_subscriptions(revoked, chat_id, UnsubscribeReason.ACCESS_REVOKED)

    def _end_subscriptions(
        self, connections: Iterable[Connection], chat_id: str, reason: UnsubscribeReason
    ) -> None:
        frame: OutboundFrame | None = None
        for connection in connections:
            if self._hub.leave(connection, chat_id):
                frame = frame or encode(Unsubscribed(chat_id=chat_id, reason=reason))
                connection.push(frame)

    async def _recheck_subscriptions(
        self, connections: Iterable[Connection], workspace_id: str
    ) -> None:
        """End the subscriptions to the workspace's chats that their connection may no longer
        read (after a member leaves or the workspace is deleted)."""
        contexts: dict[str, ChatContext | None] = {}
        for connection in connections:
            for chat_id, subscription in list(connection.subscriptions.items()):
                if subscription.workspace_id != workspace_id:
                    continue
                if chat_id not in contexts:
                    contexts[chat_id] = await self._lookup.get(chat_id)
                context = contexts[chat_id]
                if context is None or not context.readable_by(connection.actor):
                    self._end_subscriptions([connection], chat_id, UnsubscribeReason.ACCESS_REVOKED)

    # --- workspace.*, member.*, invite.* -----------------------------------------------------

    async def _workspace_event(self, envelope: EventEnvelope) -> None:
        workspace = await self._lookup.workspace(envelope.workspace_id or envelope.aggregate_id)
        if workspace is None:
            return
        event = envelope.event
        audience = {member.user_id for member in workspace.members}
        if isinstance(event, MemberRemoved):
            audience.add(event.user_id)
        self._send_to_users(audience, event_frame(envelope), envelope.event_id)
        if isinstance(event, MemberRemoved):
            await self._recheck_subscriptions(self._hub.of_user(event.user_id), workspace.id)
        elif isinstance(event, WorkspaceDeleted):
            await self._recheck_subscriptions(self._hub.connections(), workspace.id)

    async def _invite_event(self, envelope: EventEnvelope) -> None:
        workspace = await self._lookup.workspace(envelope.workspace_id or envelope.aggregate_id)
        if workspace is None or workspace.is_deleted:
            return
        admins = {m.user_id for m in workspace.members if workspace.is_admin(m.user_id)}
        self._send_to_users(admins, event_frame(envelope), envelope.event_id)

    # --- notification.* and user.* ------------------------------------------------------------

    async def _notification_event(self, envelope: EventEnvelope) -> None:
        event = envelope.event
        if not isinstance(event, NotificationCreated | NotificationRead | NotificationDeleted):
            return
        recipient = event.user_id
        if not self._hub.count_of(recipient):
            return
        if isinstance(event, NotificationCreated) and event.workspace_id is not None:
            workspace = await self._lookup.workspace(event.workspace_id)
            if not _is_member(workspace, recipient):
                return
        self._send_to_users([recipient], event_frame(envelope), envelope.event_id)

    def _user_event(self, envelope: EventEnvelope) -> None:
        user_id = envelope.aggregate_id  # a user's stream is keyed by their id
        connections = self._hub.of_user(user_id)
        if not connections:
            return
        self._send_to_users([user_id], event_frame(envelope), envelope.event_id)
        event = envelope.event
        if isinstance(event, UserAdminRightsChanged):
            for connection in connections:
                connection.actor = Actor(user_id, is_system_admin=event.is_system_admin)
        elif isinstance(event, UserDeactivated):
            for connection in connections:
                connection.close(CloseCode.USER_DEACTIVATED, "user deactivated")

    def _send_to_users(self, user_ids: Iterable[str], frame: OutboundFrame, event_id: str) -> None:
        for connection in self._hub.of_users(user_ids):
            connection.push(frame, event_id=event_id)


def _is_member(workspace: Workspace | None, user_id: str) -> bool:
    return (
        workspace is not None and not workspace.is_deleted and workspace.member(user_id) is not None
    )
