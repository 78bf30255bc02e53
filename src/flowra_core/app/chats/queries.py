"""Reading chats (http-api.md "Chats and work items"): one chat, the chat list, participants,
their presence and the chat's activity journal. Everything here needs read(chat), except the
list, which only shows chats the caller can read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import get_args

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.app.chats.commands import ChatCommands
from flowra_core.app.chats.views import (
    ChatSummaryView,
    ChatView,
    ChatViews,
    ParticipantView,
    participant_order,
)
from flowra_core.app.list_filters import canonical, comma_list, parse_values, text_filter
from flowra_core.app.pagination import Page, fingerprint, make_page, page_request
from flowra_core.domain.chat import Chat, ChatEvent, Participant, parse_chat_type
from flowra_core.domain.errors import ValidationFailed
from flowra_core.domain.events import EventEnvelope
from flowra_core.domain.workspace.state import Workspace
from flowra_core.ports.chats import ChatListQuery, ChatSort, ChatStore, chat_order
from flowra_core.ports.event_store import EventStore
from flowra_core.ports.presence import PresenceReader

CHAT_EVENT_TYPES: frozenset[str] = frozenset(cls.event_type() for cls in get_args(ChatEvent))


@dataclass(frozen=True, slots=True)
class PresenceView:
    user_id: str
    is_online: bool
    last_seen_at: datetime | None


def _chat_sort(text: str | None) -> ChatSort:
    if text is None or not text.strip():
        return ChatSort.LAST_ACTIVITY_DESC
    try:
        return ChatSort(text.strip())
    except ValueError:
        allowed = ", ".join(sort.value for sort in ChatSort)
        raise ValidationFailed.single("sort", f"must be one of {allowed}") from None


def _event_types(text: str | None) -> frozenset[str] | None:
    names = comma_list(text)
    if names is None:
        return None
    unknown = sorted(set(names) - CHAT_EVENT_TYPES)
    if unknown:
        raise ValidationFailed.single("type", f"not a chat event: {', '.join(unknown)}")
    return frozenset(names)


def _participant_page(
    chat: Chat, list_name: str, limit: int | None, cursor: str | None
) -> Page[Participant]:
    """A page of the chat's participants by joined_at (then user id); the participant list
    lives in the chat document, so it is paged in memory."""
    scope = fingerprint(list_name, chat_id=chat.id)
    request = page_request(limit, cursor, scope, key_type=tuple[datetime, str])
    rows = sorted(chat.participants, key=participant_order)
    if request.after is not None:
        rows = [p for p in rows if participant_order(p) > request.after]
    return make_page(rows[: request.limit + 1], request, scope, participant_order)


class ChatReads:
    def __init__(
        self,
        commands: ChatCommands,
        views: ChatViews,
        chats: ChatStore,
        event_store: EventStore,
        presence: PresenceReader,
    ) -> None:
        self._commands = commands
        self._views = views
        self._chats = chats
        self._event_store = event_store
        self._presence = presence

    async def readable(
        self, actor: Actor, workspace_id: str, chat_id: str
    ) -> tuple[Workspace, Chat]:
        """404 WORKSPACE_NOT_FOUND, then 404 CHAT_NOT_FOUND (also for a deleted chat, a chat
        of another workspace, or a private chat the caller is not in)."""
        workspace = await self._commands.workspace(actor, workspace_id)
        chat = await self._commands.current(chat_id)
        return workspace, policy.readable_chat(chat, workspace, actor, chat_id)

    async def get(self, actor: Actor, workspace_id: str, chat_id: str) -> ChatView:
        workspace, chat = await self.readable(actor, workspace_id, chat_id)
        return await self._views.chat(actor, workspace, chat)

    async def list_chats(
        self,
        actor: Actor,
        workspace_id: str,
        *,
        types: str | None,
        q: str | None,
        joined: bool,
        sort: str | None,
        limit: int | None,
        cursor: str | None,
    ) -> Page[ChatSummaryView]:
        """Readable live chats; `types` is the comma list of `type`."""
        await self._commands.workspace(actor, workspace_id)
        query = ChatListQuery(
            workspace_id=workspace_id,
            reader_id=None if actor.is_system_admin else actor.user_id,
            sort=_chat_sort(sort),
            types=parse_values(types, parse_chat_type, "type"),
            title_contains=text_filter(q),
            participant_id=actor.user_id if joined else None,
        )
        order = chat_order(query.sort)
        scope = fingerprint(
            "chats",
            workspace_id=workspace_id,
            types=canonical(query.types),
            q=query.title_contains,
            joined=joined,
            sort=query.sort.value,
        )
        request = page_request(limit, cursor, scope, key_type=order.key_type)
        rows = await self._chats.list_chats(query, after=request.after, limit=request.limit + 1)
        page = make_page(rows, request, scope, order.key)
        return Page(await self._views.summaries(actor, page.items), page.next_cursor)

    async def participants(
        self,
        actor: Actor,
        workspace_id: str,
        chat_id: str,
        *,
        limit: int | None,
        cursor: str | None,
    ) -> Page[ParticipantView]:
        """By joined_at (then user id)."""
        _workspace, chat = await self.readable(actor, workspace_id, chat_id)
        page = _participant_page(chat, "participants", limit, cursor)
        return Page(await self._views.participants(page.items), page.next_cursor)

    async def presence(
        self,
        actor: Actor,
        workspace_id: str,
        chat_id: str,
        *,
        limit: int | None,
        cursor: str | None,
    ) -> Page[PresenceView]:
        """Each participant's presence, in the order of `participants`."""
        _workspace, chat = await self.readable(actor, workspace_id, chat_id)
        page = _participant_page(chat, "presence", limit, cursor)
        user_ids = [p.user_id for p in page.items]
        online = await self._presence.online(user_ids)
        last_seen = await self._presence.last_seen(user_ids)
        views = [PresenceView(u, u in online, last_seen.get(u)) for u in user_ids]
        return Page(views, page.next_cursor)

    async def activity(
        self,
        actor: Actor,
        workspace_id: str,
        chat_id: str,
        *,
        types: str | None,
        limit: int | None,
        cursor: str | None,
    ) -> Page[EventEnvelope]:
        """The chat's `chat.*` events, newest first; `types` is the comma list of `type`."""
        await self.readable(actor, workspace_id, chat_id)
        wanted = _event_types(types)
        scope = fingerprint("activity", chat_id=chat_id, types=canonical(wanted))
        request = page_request(limit, cursor, scope, key_type=tuple[int])
        rows = await self._event_store.read_stream_backwards(
            chat_id,
            before_version=request.after[0] if request.after is not None else None,
            limit=request.limit + 1,
            event_types=wanted,
        )
        return make_page(rows, request, scope, lambda envelope: (envelope.version,))
