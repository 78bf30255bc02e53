"""Messages Flowra writes itself (tags.md §5 bot replies, §6 change summaries), authored by
Flowra Bot.

Their text is generated, so it is not validated; they never mention anyone.
"""

from datetime import datetime, timedelta
from typing import Final

from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.domain.events import DomainEvent
from flowra_core.domain.message.events import MessageCreated, MessageEdited
from flowra_core.domain.message.state import Message
from flowra_core.domain.message.values import MessageType
from flowra_core.domain.user.bot import FLOWRA_BOT_ID

SUMMARY_MERGE_WINDOW: Final = timedelta(seconds=2)


def create_bot_reply(
    message_id: str, *, source: Message, content: str, now: datetime
) -> list[DomainEvent]:
    """The one bot message reporting the tags of `source`, posted in the same thread."""
    return [
        MessageCreated(
            message_id=message_id,
            chat_id=source.chat_id,
            author_id=FLOWRA_BOT_ID,
            message_type=MessageType.BOT,
            content=content,
            parent_id=source.parent_id,
            source_message_id=source.id,
            created_at=now,
        )
    ]


def create_system_summary(
    message_id: str, *, chat_id: str, actor_id: str, content: str, now: datetime
) -> list[DomainEvent]:
    """A change summary of the REST changes `actor_id` made."""
    return [
        MessageCreated(
            message_id=message_id,
            chat_id=chat_id,
            author_id=FLOWRA_BOT_ID,
            message_type=MessageType.SYSTEM,
            content=content,
            actor_id=actor_id,
            created_at=now,
        )
    ]


def can_extend_summary(newest: Message | None, *, actor_id: str, now: datetime) -> bool:
    """True when the chat's newest message is a live summary of `actor_id`'s changes updated
    less than `SUMMARY_MERGE_WINDOW` ago, so new phrases go into it instead of a new summary."""
    if newest is None or newest.type is not MessageType.SYSTEM or newest.is_deleted:
        return False
    last_update = newest.edited_at or newest.created_at
    return newest.actor_id == actor_id and now - last_update < SUMMARY_MERGE_WINDOW


def revise_system_summary(
    summary: Message, content: str, *, actor_id: str, now: datetime
) -> list[DomainEvent]:
    """Replace the text of a summary (its merged phrases); `actor_id` is the change's author."""
    if summary.type is not MessageType.SYSTEM:
        raise DomainError(ErrorCode.FORBIDDEN, f"Message {summary.id} is not a change summary")
    if summary.is_deleted:
        raise DomainError(ErrorCode.MESSAGE_DELETED, f"Message {summary.id} has been deleted")
    if content == summary.content:
        return []
    return [
        MessageEdited(
            message_id=summary.id,
            chat_id=summary.chat_id,
            content=content,
            edited_by=actor_id,
            edited_at=now,
        )
    ]
