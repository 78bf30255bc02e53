"""Apply message events to the message state; trusts the events, never validates."""

from collections.abc import Iterable

from msgspec.structs import replace

from flowra_core.domain.events import DomainEvent
from flowra_core.domain.message.events import (
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    MessageReactionAdded,
    MessageReactionRemoved,
)
from flowra_core.domain.message.state import Message, Reaction


def evolve(state: Message | None, event: DomainEvent) -> Message:
    if isinstance(event, MessageCreated):
        return Message(
            id=event.message_id,
            chat_id=event.chat_id,
            author_id=event.author_id,
            type=event.message_type,
            content=event.content,
            parent_id=event.parent_id,
            attachments=event.attachments,
            mentions=event.mentions,
            actor_id=event.actor_id,
            source_message_id=event.source_message_id,
            created_at=event.created_at,
            version=1,
        )
    if state is None:
        raise ValueError(f"{event.event_type()} before message.created")
    return replace(_apply(state, event), version=state.version + 1)


def _apply(message: Message, event: DomainEvent) -> Message:
    if isinstance(event, MessageEdited):
        return replace(
            message, content=event.content, mentions=event.mentions, edited_at=event.edited_at
        )
    if isinstance(event, MessageDeleted):
        # The tombstone also forgets whom the removed text mentioned.
        return replace(
            message,
            content="",
            attachments=(),
            reactions=(),
            mentions=(),
            deleted_at=event.deleted_at,
            deleted_by=event.deleted_by,
        )
    if isinstance(event, MessageReactionAdded):
        added = Reaction(user_id=event.user_id, emoji=event.emoji)
        return replace(message, reactions=(*message.reactions, added))
    if isinstance(event, MessageReactionRemoved):
        removed = Reaction(user_id=event.user_id, emoji=event.emoji)
        return replace(message, reactions=tuple(r for r in message.reactions if r != removed))
    raise ValueError(f"{event.event_type()} is not a message event")


def replay(events: Iterable[DomainEvent]) -> Message | None:
    state: Message | None = None
    for event in events:
        state = evolve(state, event)
    return state
