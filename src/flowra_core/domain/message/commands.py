"""Decide functions for user messages (domain.md §4): send, edit, delete, react.

Authorization (participant, author, chat or workspace admin) is the application's policy.
Checks follow http-api.md's order: input (422) before state (410).

A reply to a deleted message is accepted: the tombstone keeps its place and its thread, which
stays readable (`GET …/replies` serves tombstones too), so late answers are not lost.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType

from flowra_core.domain.errors import DomainError, ErrorCode, FieldError, ValidationFailed
from flowra_core.domain.events import DomainEvent
from flowra_core.domain.message.events import (
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    MessageReactionAdded,
    MessageReactionRemoved,
)
from flowra_core.domain.message.mentions import resolve_mentions
from flowra_core.domain.message.state import Message
from flowra_core.domain.message.validation import (
    attachment_errors,
    attachments_of,
    content_errors,
    emoji_errors,
)
from flowra_core.domain.message.values import MessageType, UploadedFile

UsernameLookup = Callable[[str], str | None]
"""Maps a username, case-insensitively, to a workspace member's user id (or None)."""

_NO_FILES: Mapping[str, UploadedFile] = MappingProxyType({})


def send_user_message(
    message_id: str,
    *,
    chat_id: str,
    author_id: str,
    content: str,
    parent_id: str | None = None,
    parent: Message | None = None,
    attachment_ids: Sequence[str] = (),
    files: Mapping[str, UploadedFile] = _NO_FILES,
    lookup_username: UsernameLookup,
    now: datetime,
) -> list[DomainEvent]:
    """A new `user` message. `parent` is the message found for `parent_id` (None if unknown);
    `files` maps the ids of `attachment_ids` to the uploaded files found (absent = unknown).

    A reply to a reply joins the thread of its parent, so threads are one level deep.
    """
    errors = [
        *content_errors(content, has_attachments=bool(attachment_ids)),
        *_parent_errors(parent_id, parent, chat_id=chat_id),
        *attachment_errors(attachment_ids, files, chat_id=chat_id, author_id=author_id),
    ]
    if errors:
        raise ValidationFailed(errors)
    thread_root_id = None if parent_id is None or parent is None else parent.thread_root_id
    return [
        MessageCreated(
            message_id=message_id,
            chat_id=chat_id,
            author_id=author_id,
            message_type=MessageType.USER,
            content=content,
            parent_id=thread_root_id,
            attachments=attachments_of(attachment_ids, files),
            mentions=resolve_mentions(content, lookup_username),
            created_at=now,
        )
    ]


def _parent_errors(
    parent_id: str | None, parent: Message | None, *, chat_id: str
) -> list[FieldError]:
    if parent_id is None:
        return []
    if parent is None or parent.id != parent_id:
        return [FieldError("parent_id", f"no message {parent_id} in this chat")]
    if parent.chat_id != chat_id:
        return [FieldError("parent_id", f"message {parent_id} belongs to another chat")]
    return []


def edit_message(
    message: Message,
    content: str,
    *,
    edited_by: str,
    lookup_username: UsernameLookup,
    now: datetime,
) -> list[DomainEvent]:
    """New content for a `user` message; mentions are recomputed and tags are not re-run."""
    if message.type is not MessageType.USER:
        raise DomainError(
            ErrorCode.FORBIDDEN, f"Only user messages can be edited, not {message.type} messages"
        )
    errors = content_errors(content, has_attachments=bool(message.attachments))
    if errors:
        raise ValidationFailed(errors)
    _ensure_not_deleted(message)
    if content == message.content:
        return []
    return [
        MessageEdited(
            message_id=message.id,
            chat_id=message.chat_id,
            content=content,
            mentions=resolve_mentions(content, lookup_username),
            edited_by=edited_by,
            edited_at=now,
        )
    ]


def delete_message(message: Message, *, deleted_by: str, now: datetime) -> list[DomainEvent]:
    """Soft delete: the message stays as a tombstone without content, files or reactions."""
    _ensure_not_deleted(message)
    return [
        MessageDeleted(
            message_id=message.id,
            chat_id=message.chat_id,
            parent_id=message.parent_id,
            deleted_by=deleted_by,
            deleted_at=now,
        )
    ]


def add_reaction(message: Message, emoji: str, *, user_id: str) -> list[DomainEvent]:
    """`emoji` is taken as given (1–32 code points, no whitespace); a repeat is a no-op."""
    errors = emoji_errors(emoji)
    if errors:
        raise ValidationFailed(errors)
    _ensure_not_deleted(message)
    if message.has_reaction(user_id, emoji):
        return []
    return [
        MessageReactionAdded(
            message_id=message.id, chat_id=message.chat_id, user_id=user_id, emoji=emoji
        )
    ]


def remove_reaction(message: Message, emoji: str, *, user_id: str) -> list[DomainEvent]:
    """Removing an absent reaction (an invalid emoji included) is a no-op."""
    _ensure_not_deleted(message)
    if not message.has_reaction(user_id, emoji):
        return []
    return [
        MessageReactionRemoved(
            message_id=message.id, chat_id=message.chat_id, user_id=user_id, emoji=emoji
        )
    ]


def _ensure_not_deleted(message: Message) -> None:
    if message.is_deleted:
        raise DomainError(ErrorCode.MESSAGE_DELETED, f"Message {message.id} has been deleted")
