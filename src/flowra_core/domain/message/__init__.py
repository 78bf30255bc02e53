"""The message aggregate (domain.md §4): user, bot and system messages, threads, reactions,
mentions (§4.1) and read-marker rules (§4.2)."""

from flowra_core.domain.message.commands import (
    UsernameLookup,
    add_reaction,
    delete_message,
    edit_message,
    remove_reaction,
    send_user_message,
)
from flowra_core.domain.message.events import (
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    MessageEvent,
    MessageReactionAdded,
    MessageReactionRemoved,
)
from flowra_core.domain.message.evolve import evolve, replay
from flowra_core.domain.message.generated import (
    SUMMARY_MERGE_WINDOW,
    can_extend_summary,
    create_bot_reply,
    create_system_summary,
    revise_system_summary,
)
from flowra_core.domain.message.mentions import extract_mention_tokens, resolve_mentions
from flowra_core.domain.message.read_markers import (
    ReadMarker,
    TimelineMessage,
    advance,
    count_unread,
    count_unread_mentions,
    is_after_marker,
    unread_messages,
)
from flowra_core.domain.message.state import Message, Reaction, ReactionGroup
from flowra_core.domain.message.values import (
    ATTACHMENTS_MAX,
    CONTENT_MAX_CHARS,
    EMOJI_MAX_CHARS,
    MessageAttachment,
    MessageType,
    UploadedFile,
)

__all__ = [
    "ATTACHMENTS_MAX",
    "CONTENT_MAX_CHARS",
    "EMOJI_MAX_CHARS",
    "SUMMARY_MERGE_WINDOW",
    "Message",
    "MessageAttachment",
    "MessageCreated",
    "MessageDeleted",
    "MessageEdited",
    "MessageEvent",
    "MessageReactionAdded",
    "MessageReactionRemoved",
    "MessageType",
    "Reaction",
    "ReactionGroup",
    "ReadMarker",
    "TimelineMessage",
    "UploadedFile",
    "UsernameLookup",
    "add_reaction",
    "advance",
    "can_extend_summary",
    "count_unread",
    "count_unread_mentions",
    "create_bot_reply",
    "create_system_summary",
    "delete_message",
    "edit_message",
    "evolve",
    "extract_mention_tokens",
    "is_after_marker",
    "remove_reaction",
    "replay",
    "resolve_mentions",
    "revise_system_summary",
    "send_user_message",
    "unread_messages",
]
