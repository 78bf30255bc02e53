"""Live pushes (typing, presence, read markers, session ends) → this instance's connections
(websocket.md §1, §4); and the session check that stands in for session ends a gap in the live
channel swallowed."""

from __future__ import annotations

from typing import Protocol

from flowra_core.domain.datetimes import format_timestamp
from flowra_core.ports.live import (
    ChatReadPush,
    LivePush,
    PresencePush,
    SessionEndedPush,
    TypingPush,
)
from flowra_entrypoints.ws.access import ChatLookup
from flowra_entrypoints.ws.connection import Connection
from flowra_entrypoints.ws.frames import (
    ChatRead,
    CloseCode,
    PresenceChanged,
    TypingNotice,
    encode,
)
from flowra_entrypoints.ws.hub import Hub


def close_session(hub: Hub, session_id: str) -> int:
    """Close, with 4401, the connections opened with a ticket of the session; how many."""
    connections = hub.of_session(session_id)
    for connection in connections:
        connection.close(CloseCode.SESSION_ENDED, "session ended")
    return len(connections)


class SessionStatus(Protocol):
    """Whether a browser session still exists (`SessionBook`)."""

    async def is_active(self, session_id: str) -> bool:
        """Raises ServiceUnavailable when the session store cannot tell."""
        ...


async def close_ended_sessions(hub: Hub, sessions: SessionStatus) -> int:
    """Close, with 4401, the connections whose browser session no longer exists (its end may
    have been published while this instance was not listening); how many. One store read per
    session; raises ServiceUnavailable when the store cannot tell (nothing more is closed)."""
    by_session: dict[str, list[Connection]] = {}
    for connection in hub.connections():
        if connection.session_id is not None:
            by_session.setdefault(connection.session_id, []).append(connection)
    closed = 0
    for session_id, connections in by_session.items():
        if await sessions.is_active(session_id):
            continue
        for connection in connections:
            connection.close(CloseCode.SESSION_ENDED, "session ended")
        closed += len(connections)
    return closed


class PushRouter:
    def __init__(self, hub: Hub, lookup: ChatLookup) -> None:
        self._hub = hub
        self._lookup = lookup

    async def route(self, push: LivePush) -> None:
        if not len(self._hub):
            return
        if isinstance(push, TypingPush):
            await self._typing(push)
        elif isinstance(push, PresencePush):
            await self._presence(push)
        elif isinstance(push, SessionEndedPush):
            close_session(self._hub, push.session_id)
        else:
            self._chat_read(push)

    async def _typing(self, push: TypingPush) -> None:
        """The chat's subscribers, except the typer's own connections."""
        others = [c for c in self._hub.room(push.chat_id) if c.user_id != push.user_id]
        if not others:
            return
        context = await self._lookup.get(push.chat_id)
        if context is None:
            return
        frame = encode(TypingNotice(chat_id=push.chat_id, user_id=push.user_id))
        readable = context.reader_check()
        for connection in others:
            if readable(connection.actor):
                connection.push(frame)

    async def _presence(self, push: PresencePush) -> None:
        """Every connection of the users who share a workspace with the user, as the workspaces'
        members are now."""
        users = self._hub.users()
        audience: set[str] = set()
        for workspace_id in push.workspace_ids:
            workspace = await self._lookup.workspace(workspace_id)
            if workspace is None or workspace.is_deleted:
                continue
            audience.update(m.user_id for m in workspace.members if m.user_id in users)
        audience.discard(push.user_id)
        if not audience:
            return
        frame = encode(
            PresenceChanged(
                user_id=push.user_id,
                status=push.status.value,
                last_seen_at=format_timestamp(push.last_seen_at),
            )
        )
        for connection in self._hub.of_users(audience):
            connection.push(frame)

    def _chat_read(self, push: ChatReadPush) -> None:
        """Every connection of the reader, so their other devices follow."""
        connections = self._hub.of_user(push.user_id)
        if not connections:
            return
        frame = encode(
            ChatRead(
                chat_id=push.chat_id,
                last_read_message_id=push.last_read_message_id,
                unread_count=push.unread_count,
            )
        )
        for connection in connections:
            connection.push(frame)
