"""Search (http-api.md "Search"): the token index's projection and the search query.

Indexed: the content of `user` messages until they are deleted (kind `message`), discussion
titles (kind `chat`), and work-item titles with descriptions (kind `task`). A conversion turns
the chat's entry from `chat` into `task`; a deleted chat takes its entry and every message
entry of the chat out of the index. Results are limited to the chats the caller can read.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.app.pagination import Page, fingerprint, make_page, page_request
from flowra_core.app.search.index import query_words, snippet, tokenize
from flowra_core.domain.chat.events import (
    ChatCreated,
    ChatDeleted,
    ChatDescriptionSet,
    ChatRenamed,
    ChatTypeChanged,
)
from flowra_core.domain.chat.state import Chat
from flowra_core.domain.chat.vocabulary import ChatType
from flowra_core.domain.errors import ValidationFailed
from flowra_core.domain.events import AggregateType, EventEnvelope
from flowra_core.domain.message.events import MessageCreated, MessageDeleted, MessageEdited
from flowra_core.domain.message.values import MessageType
from flowra_core.ports.chats import ChatStore
from flowra_core.ports.event_store import Commit
from flowra_core.ports.search import SearchEntry, SearchIndex, SearchKind, SearchQuery
from flowra_core.ports.workspaces import WorkspaceStore

QUERY_MIN_CHARS: Final = 2
QUERY_MAX_CHARS: Final = 200
DEFAULT_SEARCH_LIMIT: Final = 20
_CHAT_TEXT_EVENTS: Final = (ChatCreated, ChatRenamed, ChatTypeChanged, ChatDescriptionSet)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """The SearchHit resource. For `chat` and `task` hits `id` is the chat id and
    `author_id` the chat's creator."""

    kind: SearchKind
    id: str
    workspace_id: str
    chat_id: str
    chat_title: str
    chat_type: ChatType
    snippet: str
    author_id: str | None
    created_at: datetime


def chat_entry(chat: Chat) -> SearchEntry:
    """A chat's own entry: its title, and for a work item its description too."""
    text = f"{chat.title}\n{chat.description}" if chat.is_typed else chat.title
    return SearchEntry(
        id=chat.id,
        kind=SearchKind.TASK if chat.is_typed else SearchKind.CHAT,
        workspace_id=chat.workspace_id,
        chat_id=chat.id,
        author_id=chat.created_by,
        created_at=chat.created_at,
        text=text,
        tokens=tokenize(text),
        version=chat.version,
    )


class SearchProjector:
    """Keeps the token index in step with chat and message commits; idempotent."""

    def __init__(self, index: SearchIndex, chats: ChatStore) -> None:
        self._index = index
        self._chats = chats

    async def project(self, commit: Commit) -> None:
        if commit.aggregate_type is AggregateType.MESSAGE:
            for envelope in commit.events:
                await self._message(envelope)
        elif commit.aggregate_type is AggregateType.CHAT:
            await self._chat(commit)

    async def _chat(self, commit: Commit) -> None:
        events = [envelope.event for envelope in commit.events]
        if not any(isinstance(event, (*_CHAT_TEXT_EVENTS, ChatDeleted)) for event in events):
            return
        # The stored chat is saved before projections run, so it is at least this new.
        chat = await self._chats.get(commit.aggregate_id)
        if chat is None:
            return
        if chat.is_deleted:
            await self._index.remove_chat(chat.id)
        else:
            await self._index.put(chat_entry(chat))

    async def _message(self, envelope: EventEnvelope) -> None:
        match envelope.event:
            case MessageCreated(message_type=MessageType.USER) as created:
                workspace_id = envelope.workspace_id or await self._workspace_of(created.chat_id)
                if workspace_id is None:
                    return
                await self._index.put(
                    SearchEntry(
                        id=created.message_id,
                        kind=SearchKind.MESSAGE,
                        workspace_id=workspace_id,
                        chat_id=created.chat_id,
                        author_id=created.author_id,
                        created_at=created.created_at,
                        text=created.content,
                        tokens=tokenize(created.content),
                        version=envelope.version,
                    )
                )
            case MessageEdited(message_id=message_id, content=content):
                await self._index.revise(
                    message_id, text=content, tokens=tokenize(content), version=envelope.version
                )
            case MessageDeleted(message_id=message_id):
                await self._index.remove(message_id, version=envelope.version)

    async def _workspace_of(self, chat_id: str) -> str | None:
        chat = await self._chats.get(chat_id)
        return None if chat is None else chat.workspace_id


def _query(q: str) -> tuple[str, ...]:
    text = q.strip()
    if not QUERY_MIN_CHARS <= len(text) <= QUERY_MAX_CHARS:
        raise ValidationFailed.single(
            "q", f"must be {QUERY_MIN_CHARS} to {QUERY_MAX_CHARS} characters"
        )
    words = query_words(text)
    if not words:
        raise ValidationFailed.single("q", "must contain a letter or a digit")
    return words


def _kinds(types: Collection[str] | None) -> frozenset[SearchKind]:
    """`types` items, case-insensitive; None = every kind."""
    if types is None:
        return frozenset(SearchKind)
    kinds: set[SearchKind] = set()
    for text in types:
        wanted = text.strip().lower()
        kind = next((k for k in SearchKind if k.value == wanted), None)
        if kind is None:
            allowed = ", ".join(k.value for k in SearchKind)
            raise ValidationFailed.single("types", f"{text!r} is not one of {allowed}")
        kinds.add(kind)
    if not kinds:
        raise ValidationFailed.single("types", "must name at least one kind")
    return frozenset(kinds)


class SearchService:
    def __init__(self, index: SearchIndex, chats: ChatStore, workspaces: WorkspaceStore) -> None:
        self._index = index
        self._chats = chats
        self._workspaces = workspaces

    async def _readable_chat_ids(
        self, actor: Actor, workspace_id: str, chat_id: str | None
    ) -> list[str]:
        """404 WORKSPACE_NOT_FOUND / CHAT_NOT_FOUND first (visibility comes before input)."""
        workspace = policy.visible_workspace(
            await self._workspaces.get(workspace_id), actor, workspace_id
        )
        if chat_id is not None:
            policy.readable_chat(await self._chats.get(chat_id), workspace, actor, chat_id)
            return [chat_id]
        reader = None if actor.is_system_admin else actor.user_id
        return list(await self._chats.readable_ids(workspace_id, reader))

    async def search(
        self,
        actor: Actor,
        workspace_id: str,
        *,
        q: str,
        types: Collection[str] | None = None,
        chat_id: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[SearchHit]:
        """Hits newest first in the chats the caller can read."""
        chat_ids = await self._readable_chat_ids(actor, workspace_id, chat_id)
        words = _query(q)
        kinds = _kinds(types)
        scope = fingerprint(
            "search",
            workspace_id=workspace_id,
            q=list(words),
            types=sorted(kinds),
            chat_id=chat_id,
        )
        request = page_request(
            limit, cursor, scope, key_type=tuple[datetime, str], default=DEFAULT_SEARCH_LIMIT
        )
        rows = await self._index.search(
            SearchQuery(
                workspace_id=workspace_id,
                chat_ids=chat_ids,
                kinds=kinds,
                words=words,
                before=(request.after[0], request.after[1]) if request.after else None,
                limit=request.limit + 1,
            )
        )
        page = make_page(rows, request, scope, lambda entry: entry.position)
        chats = await self._chats.get_many({entry.chat_id for entry in page.items})
        hits = [
            self._hit(entry, chats[entry.chat_id], words)
            for entry in page.items
            if entry.chat_id in chats and not chats[entry.chat_id].is_deleted
        ]
        return Page(hits, page.next_cursor)

    @staticmethod
    def _hit(entry: SearchEntry, chat: Chat, words: tuple[str, ...]) -> SearchHit:
        return SearchHit(
            kind=entry.kind,
            id=entry.id,
            workspace_id=entry.workspace_id,
            chat_id=entry.chat_id,
            chat_title=chat.title,
            chat_type=chat.type,
            snippet=snippet(entry.text, words),
            author_id=entry.author_id,
            created_at=entry.created_at,
        )
