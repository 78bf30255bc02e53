"""Ephemeral live pushes (websocket.md §3, §6, §9): typing indicators, presence changes, read
markers and session ends. They are relayed to every API instance like domain events (with
Redis, on the `<prefix>ws.ephemeral` channel) but never stored: a push that finds nobody
listening is gone.

Each push carries what decides its audience (websocket.md §4); every instance routes it to its own
connections and re-checks access at send time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import msgspec


class PresenceStatus(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class LivePushBase(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind"):
    """Base of every push; the tag names the push on the wire between instances."""


class TypingPush(LivePushBase, frozen=True, kw_only=True, tag="typing"):
    """`user_id` is typing in `chat_id`: for the chat's subscribers other than the typer."""

    chat_id: str
    user_id: str


class PresencePush(LivePushBase, frozen=True, kw_only=True, tag="presence.changed"):
    """`user_id` came online or went offline: for the users who share one of `workspace_ids`
    (the user's workspaces when the change happened) with them."""

    user_id: str
    status: PresenceStatus
    last_seen_at: datetime
    workspace_ids: tuple[str, ...]


class ChatReadPush(LivePushBase, frozen=True, kw_only=True, tag="chat.read"):
    """The reader's marker in a chat moved: for every connection of the reader, so the unread
    counts of their other devices follow."""

    user_id: str
    chat_id: str
    last_read_message_id: str | None
    unread_count: int


class SessionEndedPush(LivePushBase, frozen=True, kw_only=True, tag="session.ended"):
    """A browser session ended (logout, or the IdP refused its refresh): every instance closes
    the WebSocket connections opened with a ticket of that session (websocket.md §1, 4401)."""

    session_id: str


LivePush = TypingPush | PresencePush | ChatReadPush | SessionEndedPush
LiveHandler = Callable[[LivePush], Awaitable[None]]
LiveGapHandler = Callable[[], Awaitable[None]]


class LiveChannel(Protocol):
    async def publish(self, push: LivePush) -> None:
        """Hand the push to every listener of every instance (this one included), best effort.
        Raises ServiceUnavailable when the channel cannot take it."""
        ...

    def listen(self, handler: LiveHandler) -> None:
        """Receive every push published on any instance from now on."""
        ...

    def on_gap(self, handler: LiveGapHandler) -> None:
        """Call `handler()` each time this instance's feed comes back after it was lost (never
        for the first subscription): pushes published meanwhile, a session end among them, did
        not reach the listeners. A channel that cannot lose its feed (in process memory) never
        calls it."""
        ...


class PresenceRegistry(Protocol):
    """The writing side of presence (the core reads it through PresenceReader): each instance
    holds a user while it has at least one of their connections open (or in its grace period)."""

    async def hold(self, user_id: str) -> bool:
        """This instance holds the user; True when no instance held them before (they came
        online)."""
        ...

    async def release(self, user_id: str, at: datetime) -> bool:
        """This instance no longer holds the user; True when no instance holds them any more
        (they went offline, last seen `at`)."""
        ...
