"""Reading messages (http-api.md "Messages" GET routes) and what every message use case shares:
the aggregate kind and the "message of this chat" look-up."""

from __future__ import annotations

from datetime import datetime

from flowra_core.app.actor import Actor
from flowra_core.app.chats.access import ChatAccess
from flowra_core.app.messages.views import MessageView, MessageViews
from flowra_core.app.pagination import Page, fingerprint, make_page, page_request
from flowra_core.app.write_path import AggregateKind, Routing
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.domain.events import AggregateType, DomainEvent
from flowra_core.domain.message import Message
from flowra_core.domain.message import evolve as evolve_message
from flowra_core.ports.messages import MessageStore, Position
from flowra_core.ports.users import UserStore


def message_kind(store: MessageStore, workspace_id: str) -> AggregateKind[Message]:
    """Messages carry no workspace id; their envelopes take the chat's, given here."""

    def evolve(state: Message | None, event: DomainEvent, _at: datetime, _id: str) -> Message:
        return evolve_message(state, event)

    return AggregateKind(
        aggregate_type=AggregateType.MESSAGE,
        store=store,
        evolve=evolve,
        routing=lambda message: Routing(workspace_id=workspace_id, chat_id=message.chat_id),
    )


def position(message: Message) -> Position:
    return (message.created_at, message.id)


def message_in_chat(message: Message | None, chat_id: str, message_id: str) -> Message:
    if message is None or message.chat_id != chat_id:
        raise DomainError(ErrorCode.MESSAGE_NOT_FOUND, f"No message {message_id} in this chat")
    return message


class MessageReads:
    """The queries of the message routes (the commands are `MessageService`)."""

    def __init__(self, access: ChatAccess, messages: MessageStore, users: UserStore) -> None:
        self._access = access
        self._messages = messages
        self._users = users
        self._views = MessageViews(users, messages)

    async def get(
        self, actor: Actor, workspace_id: str, chat_id: str, message_id: str
    ) -> MessageView:
        """Any message of the chat, replies and tombstones included."""
        await self._access.readable(actor, workspace_id, chat_id)
        message = message_in_chat(await self._messages.get(message_id), chat_id, message_id)
        return await self._views.one(message, workspace_id=workspace_id, viewer_id=actor.user_id)

    async def list_top_level(
        self,
        actor: Actor,
        workspace_id: str,
        chat_id: str,
        *,
        limit: int | None,
        cursor: str | None,
    ) -> Page[MessageView]:
        """Newest first; `next_cursor` pages to older messages. Tombstones included."""
        await self._access.readable(actor, workspace_id, chat_id)
        scope = fingerprint("messages", chat_id=chat_id)
        request = page_request(limit, cursor, scope, key_type=tuple[datetime, str])
        before = (request.after[0], request.after[1]) if request.after else None
        rows = await self._messages.top_level_threaded(
            chat_id, before=before, limit=request.limit + 1
        )
        threads = {row.message.id: row.thread for row in rows}
        page = make_page([row.message for row in rows], request, scope, position)
        views = await self._views.many(
            page.items, workspace_id=workspace_id, viewer_id=actor.user_id, threads=threads
        )
        return Page(views, page.next_cursor)

    async def replies(
        self,
        actor: Actor,
        workspace_id: str,
        chat_id: str,
        message_id: str,
        *,
        limit: int | None,
        cursor: str | None,
        newest_first: bool = False,
    ) -> Page[MessageView]:
        """The thread of a message, oldest first; `newest_first` from its newest reply back,
        `next_cursor` then paging to older replies (a thread pane opens on the latest and
        loads earlier ones on demand). 404 MESSAGE_NOT_FOUND for a message not in this chat."""
        await self._access.readable(actor, workspace_id, chat_id)
        name = "replies-newest" if newest_first else "replies"
        scope = fingerprint(name, chat_id=chat_id, message_id=message_id)
        request = page_request(limit, cursor, scope, key_type=tuple[datetime, str])
        bound = (request.after[0], request.after[1]) if request.after else None
        if newest_first:
            rows = await self._messages.replies_newest_first(
                chat_id, message_id, before=bound, limit=request.limit + 1
            )
        else:
            rows = await self._messages.replies(
                chat_id, message_id, after=bound, limit=request.limit + 1
            )
        if not rows:
            # A reply of this chat proves its parent is a message of this chat (a reply is
            # only accepted under a message of its own chat, and messages are never removed,
            # only tombstoned), so the parent is looked up only when the page is empty.
            message_in_chat(await self._messages.get(message_id), chat_id, message_id)
        page = make_page(rows, request, scope, position)
        views = await self._views.many(
            page.items, workspace_id=workspace_id, viewer_id=actor.user_id
        )
        return Page(views, page.next_cursor)
