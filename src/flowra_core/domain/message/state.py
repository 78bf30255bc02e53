"""The message aggregate state (domain.md §4), rebuilt from the message's events by `evolve`.

Not here: `workspace_id` (carried by the event envelope, not by `message.created`; it is the
chat's workspace) and `reply_count` / `last_reply_at` (counted over the replies by the message
timeline projection). Reactions carry no time: `message.reaction_added` has none; the tuple
keeps first-use order, which is all the API shows.
"""

from datetime import datetime

import msgspec

from flowra_core.domain.message.values import MessageAttachment, MessageType


class Reaction(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str
    emoji: str


class ReactionGroup(msgspec.Struct, frozen=True, kw_only=True):
    """The users who reacted with one emoji, as the Message resource shows them."""

    emoji: str
    user_ids: tuple[str, ...]


class Message(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    chat_id: str
    author_id: str
    type: MessageType
    content: str
    parent_id: str | None = None
    attachments: tuple[MessageAttachment, ...] = ()
    reactions: tuple[Reaction, ...] = ()
    mentions: tuple[str, ...] = ()
    actor_id: str | None = None
    source_message_id: str | None = None
    created_at: datetime
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    deleted_by: str | None = None
    version: int = 0

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_reply(self) -> bool:
        return self.parent_id is not None

    @property
    def thread_root_id(self) -> str:
        """The top-level message of this message's thread (itself when it is top-level)."""
        return self.parent_id if self.parent_id is not None else self.id

    def has_reaction(self, user_id: str, emoji: str) -> bool:
        return Reaction(user_id=user_id, emoji=emoji) in self.reactions

    def reaction_groups(self) -> tuple[ReactionGroup, ...]:
        """Reactions grouped by emoji in first-use order."""
        users_by_emoji: dict[str, list[str]] = {}
        for reaction in self.reactions:
            users_by_emoji.setdefault(reaction.emoji, []).append(reaction.user_id)
        return tuple(
            ReactionGroup(emoji=emoji, user_ids=tuple(user_ids))
            for emoji, user_ids in users_by_emoji.items()
        )
