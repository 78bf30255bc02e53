"""Messages (http-api.md "Messages", domain.md §4): send with tags, edit, delete, react. The
queries are `MessageReads` (`FlowraCore.message_reads`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.app.chats.access import ChatAccess
from flowra_core.app.messages.files import FileService
from flowra_core.app.messages.reads import message_in_chat, message_kind
from flowra_core.app.messages.views import MessageView, MessageViews
from flowra_core.app.write_path import AggregateKind, WritePath
from flowra_core.domain.chat import Chat
from flowra_core.domain.events import DomainEvent
from flowra_core.domain.message import (
    Message,
    UsernameLookup,
    add_reaction,
    create_bot_reply,
    delete_message,
    edit_message,
    extract_mention_tokens,
    remove_reaction,
    send_user_message,
)
from flowra_core.domain.workspace.state import Workspace
from flowra_core.ports.messages import MessageStore
from flowra_core.ports.users import UserStore

# Timestamps have millisecond precision: a bot reply sorts after the message it answers.
_BOT_REPLY_DELAY = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class TagResultView:
    """One executed tag (the TagResult resource); `code` is None when `ok`."""

    tag: str
    value: str
    ok: bool
    changed: bool
    code: str | None
    text: str


@dataclass(frozen=True, slots=True)
class TagRun:
    results: list[TagResultView]
    reply_text: str


class TagRunner(Protocol):
    async def run(
        self, actor: Actor, workspace_id: str, chat_id: str, content: str
    ) -> TagRun | None:
        """Apply the tags of a sent message in order (tags.md §4); None when the content has
        no tag line. A failing tag is a result, never an exception."""
        ...


@dataclass(frozen=True, slots=True)
class SentMessage:
    """The 201 body of a send: `tag_results` is None when the content had no tag line."""

    message: MessageView
    bot_reply: MessageView | None
    tag_results: list[TagResultView] | None


Authorize = Callable[[Workspace, Chat, Message], None]
Decide = Callable[[Message], list[DomainEvent]]


class MessageService:
    def __init__(
        self,
        write: WritePath,
        access: ChatAccess,
        messages: MessageStore,
        users: UserStore,
        files: FileService,
        tags: TagRunner,
    ) -> None:
        self._write = write
        self._access = access
        self._messages = messages
        self._users = users
        self._views = MessageViews(users, messages)
        self._files = files
        self._tags = tags

    # -- sending ---------------------------------------------------------------------------

    async def send(
        self,
        actor: Actor,
        workspace_id: str,
        chat_id: str,
        *,
        content: str,
        parent_id: str | None = None,
        attachment_ids: Sequence[str] = (),
    ) -> SentMessage:
        """tags.md E1: authorise and validate → store → move the author's marker → run the
        tags → store the bot reply. Tag failures are results; they never fail the send."""
        workspace, chat = await self._access.readable(actor, workspace_id, chat_id)
        policy.require_chat_write(chat, actor)
        kind = message_kind(self._messages, workspace_id)
        parent = await self._messages.get(parent_id) if parent_id is not None else None
        files = await self._files.files_for_message(attachment_ids)
        lookup = await self._mention_lookup(workspace, content)
        message_id = self._write.ids.new_id()
        now = self._write.clock.now()
        outcome = await self._write.execute(
            kind,
            message_id,
            lambda _state: send_user_message(
                message_id,
                chat_id=chat_id,
                author_id=actor.user_id,
                content=content,
                parent_id=parent_id,
                parent=parent,
                attachment_ids=attachment_ids,
                files=files,
                lookup_username=lookup,
                now=now,
            ),
            actor_id=actor.user_id,
            new=True,
        )
        sent = outcome.required()
        # The author's read marker moves to it by the `read_markers.author` reaction.
        run = await self._tags.run(actor, workspace_id, chat_id, content)
        if run is None:
            [view] = await self._views.new(
                [sent], workspace_id=workspace_id, viewer_id=actor.user_id
            )
            return SentMessage(message=view, bot_reply=None, tag_results=None)
        # The author reads the bot reply in this response, so it is not unread for them: the
        # `read_markers.author` reaction moves their marker to it too.
        reply = await self._post_bot_reply(kind, sent, run.reply_text)
        view, reply_view = await self._views.new(
            [sent, reply], workspace_id=workspace_id, viewer_id=actor.user_id
        )
        return SentMessage(message=view, bot_reply=reply_view, tag_results=run.results)

    async def _post_bot_reply(
        self, kind: AggregateKind[Message], source: Message, content: str
    ) -> Message:
        reply_id = self._write.ids.new_id()
        now = max(self._write.clock.now(), source.created_at + _BOT_REPLY_DELAY)
        outcome = await self._write.execute(
            kind,
            reply_id,
            lambda _state: create_bot_reply(reply_id, source=source, content=content, now=now),
            actor_id=source.author_id,
            new=True,
        )
        return outcome.required()

    async def _mention_lookup(self, workspace: Workspace, content: str) -> UsernameLookup:
        """`@username` resolves to workspace members only (domain.md §4.1)."""
        members: dict[str, str] = {}
        for token in extract_mention_tokens(content):
            user = await self._users.by_username(token)
            if user is not None and workspace.member(user.id) is not None:
                members[token.lower()] = user.id
        return lambda username: members.get(username.lower())

    # -- changing a message ----------------------------------------------------------------

    async def _change(
        self,
        actor: Actor,
        access: tuple[Workspace, Chat],
        message_id: str,
        authorize: Authorize,
        decide: Decide,
    ) -> Message:
        """In a readable chat: 404 message → `authorize` (403) → `decide` (422, then 410)."""
        workspace, chat = access
        # Only an id the message store knows may reach the journal under the message kind.
        message_in_chat(await self._messages.get(message_id), chat.id, message_id)

        def checked(state: Message | None) -> list[DomainEvent]:
            message = message_in_chat(state, chat.id, message_id)
            authorize(workspace, chat, message)
            return decide(message)

        kind = message_kind(self._messages, workspace.id)
        outcome = await self._write.execute(kind, message_id, checked, actor_id=actor.user_id)
        return outcome.required()

    async def edit(
        self, actor: Actor, workspace_id: str, chat_id: str, message_id: str, *, content: str
    ) -> MessageView:
        """Author only; mentions are recomputed, tags are not re-run."""
        access = await self._access.readable(actor, workspace_id, chat_id)
        lookup = await self._mention_lookup(access[0], content)
        now = self._write.clock.now()
        edited = await self._change(
            actor,
            access,
            message_id,
            lambda _ws, _chat, message: policy.require_message_author(message.author_id, actor),
            lambda message: edit_message(
                message, content, edited_by=actor.user_id, lookup_username=lookup, now=now
            ),
        )
        return await self._views.one(edited, workspace_id=workspace_id, viewer_id=actor.user_id)

    async def delete(self, actor: Actor, workspace_id: str, chat_id: str, message_id: str) -> None:
        """Author, chat admin or workspace admin; the message stays as a tombstone."""
        access = await self._access.readable(actor, workspace_id, chat_id)
        now = self._write.clock.now()
        await self._change(
            actor,
            access,
            message_id,
            lambda ws, chat, message: policy.require_message_delete(
                message.author_id, chat, ws, actor
            ),
            lambda message: delete_message(message, deleted_by=actor.user_id, now=now),
        )

    async def add_reaction(
        self, actor: Actor, workspace_id: str, chat_id: str, message_id: str, emoji: str
    ) -> MessageView:
        """Idempotent: adding a reaction the caller already made changes nothing."""
        access = await self._access.readable(actor, workspace_id, chat_id)
        reacted = await self._change(
            actor,
            access,
            message_id,
            lambda _ws, chat, _message: policy.require_chat_write(chat, actor),
            lambda message: add_reaction(message, emoji, user_id=actor.user_id),
        )
        return await self._views.one(reacted, workspace_id=workspace_id, viewer_id=actor.user_id)

    async def remove_reaction(
        self, actor: Actor, workspace_id: str, chat_id: str, message_id: str, emoji: str
    ) -> MessageView:
        """Idempotent: removing an absent reaction changes nothing."""
        access = await self._access.readable(actor, workspace_id, chat_id)
        reacted = await self._change(
            actor,
            access,
            message_id,
            lambda _ws, chat, _message: policy.require_chat_write(chat, actor),
            lambda message: remove_reaction(message, emoji, user_id=actor.user_id),
        )
        return await self._views.one(reacted, workspace_id=workspace_id, viewer_id=actor.user_id)
