"""The `message.*` events (domain.md §6.2). The aggregate id is the message id.

`MessageCreated.message_type` is encoded as the catalogue's `type` field (a Python name that
does not shadow the builtin).
"""

from datetime import datetime
from typing import ClassVar

import msgspec

from flowra_core.domain.events import AggregateType, DomainEvent
from flowra_core.domain.message.values import MessageAttachment, MessageType


class MessageCreated(DomainEvent, frozen=True, kw_only=True, tag="message.created"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.MESSAGE
    message_id: str
    chat_id: str
    author_id: str
    message_type: MessageType = msgspec.field(name="type")
    content: str
    parent_id: str | None = None
    attachments: tuple[MessageAttachment, ...] = ()
    mentions: tuple[str, ...] = ()
    actor_id: str | None = None
    source_message_id: str | None = None
    created_at: datetime


class MessageEdited(DomainEvent, frozen=True, kw_only=True, tag="message.edited"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.MESSAGE
    message_id: str
    chat_id: str
    content: str
    mentions: tuple[str, ...] = ()
    edited_by: str
    edited_at: datetime


class MessageDeleted(DomainEvent, frozen=True, kw_only=True, tag="message.deleted"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.MESSAGE
    message_id: str
    chat_id: str
    parent_id: str | None = None
    deleted_by: str
    deleted_at: datetime


class MessageReactionAdded(DomainEvent, frozen=True, kw_only=True, tag="message.reaction_added"):
    aggregate_type: ClassVar[AggregateType] = AggregateType.MESSAGE
    message_id: str
    chat_id: str
    user_id: str
    emoji: str


class MessageReactionRemoved(
    DomainEvent, frozen=True, kw_only=True, tag="message.reaction_removed"
):
    aggregate_type: ClassVar[AggregateType] = AggregateType.MESSAGE
    message_id: str
    chat_id: str
    user_id: str
    emoji: str


MessageEvent = (
    MessageCreated | MessageEdited | MessageDeleted | MessageReactionAdded | MessageReactionRemoved
)
"""The union of every message event, for decoding a message stream."""
