"""The Message resource (http-api.md §4) as the use cases return it: the message plus its
author, thread stats, attachment URLs and reactions grouped for the viewer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from flowra_core.domain.message.state import Message
from flowra_core.domain.message.values import MessageAttachment
from flowra_core.domain.user.state import User
from flowra_core.ports.messages import MessageStore, ThreadStats
from flowra_core.ports.users import UserStore

UNKNOWN_USER_NAME = "Unknown user"


@dataclass(frozen=True, slots=True)
class UserRef:
    id: str
    username: str
    display_name: str


@dataclass(frozen=True, slots=True)
class AttachmentView:
    file_id: str
    file_name: str
    file_size: int
    mime_type: str
    url: str


@dataclass(frozen=True, slots=True)
class ReactionView:
    """The users who reacted with one emoji; `me` says whether the viewer is among them."""

    emoji: str
    count: int
    user_ids: tuple[str, ...]
    me: bool


@dataclass(frozen=True, slots=True)
class MessageView:
    """`workspace_id` is the chat's; `reactions` are in first-use order."""

    message: Message
    workspace_id: str
    author: UserRef
    reply_count: int
    last_reply_at: datetime | None
    attachments: tuple[AttachmentView, ...]
    reactions: tuple[ReactionView, ...]
    is_deleted: bool


def file_url(file_id: str, file_name: str) -> str:
    """`/api/v1/files/{file_id}/{url-encoded file_name}` (http-api.md §4)."""
    return f"/api/v1/files/{file_id}/{quote(file_name, safe='')}"


def user_ref(user_id: str, user: User | None) -> UserRef:
    """Users are never deleted; a missing document still renders instead of failing a list."""
    if user is None:
        return UserRef(id=user_id, username="", display_name=UNKNOWN_USER_NAME)
    return UserRef(id=user.id, username=user.username, display_name=user.display_name)


def attachment_view(attachment: MessageAttachment) -> AttachmentView:
    return AttachmentView(
        file_id=attachment.file_id,
        file_name=attachment.file_name,
        file_size=attachment.file_size,
        mime_type=attachment.mime_type,
        url=file_url(attachment.file_id, attachment.file_name),
    )


def reaction_views(message: Message, viewer_id: str) -> tuple[ReactionView, ...]:
    return tuple(
        ReactionView(
            emoji=group.emoji,
            count=len(group.user_ids),
            user_ids=group.user_ids,
            me=viewer_id in group.user_ids,
        )
        for group in message.reaction_groups()
    )


class MessageViews:
    """Builds views for a page of messages with one user look-up (the user store remembers
    recent users) and, unless the page came with its thread stats, one stats look-up."""

    def __init__(self, users: UserStore, messages: MessageStore) -> None:
        self._users = users
        self._messages = messages

    async def many(
        self,
        messages: Sequence[Message],
        *,
        workspace_id: str,
        viewer_id: str,
        threads: Mapping[str, ThreadStats] | None = None,
    ) -> list[MessageView]:
        """`threads`: the stats of the top-level messages when the caller read them with the
        page (`top_level_threaded`); else they are looked up. Replies have no thread."""
        users = await self._users.get_many({m.author_id for m in messages})
        stats = threads
        if stats is None:
            top_level_ids = [m.id for m in messages if m.parent_id is None]
            stats = await self._messages.thread_stats(top_level_ids) if top_level_ids else {}
        return [
            _view(
                message,
                workspace_id=workspace_id,
                author=user_ref(message.author_id, users.get(message.author_id)),
                stats=stats.get(message.id, ThreadStats()),
                viewer_id=viewer_id,
            )
            for message in messages
        ]

    async def one(self, message: Message, *, workspace_id: str, viewer_id: str) -> MessageView:
        [view] = await self.many([message], workspace_id=workspace_id, viewer_id=viewer_id)
        return view

    async def new(
        self, messages: Sequence[Message], *, workspace_id: str, viewer_id: str
    ) -> list[MessageView]:
        """Messages this request has just created: nobody can have replied to them yet."""
        return await self.many(messages, workspace_id=workspace_id, viewer_id=viewer_id, threads={})


def _view(
    message: Message, *, workspace_id: str, author: UserRef, stats: ThreadStats, viewer_id: str
) -> MessageView:
    return MessageView(
        message=message,
        workspace_id=workspace_id,
        author=author,
        reply_count=stats.reply_count,
        last_reply_at=stats.last_reply_at,
        attachments=tuple(attachment_view(a) for a in message.attachments),
        reactions=reaction_views(message, viewer_id),
        is_deleted=message.is_deleted,
    )
