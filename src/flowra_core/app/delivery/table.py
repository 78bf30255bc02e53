"""Flowra's reaction table: everything that happens after a commit, in the order it runs.

The commit's own read models come first, then its live publication, then the reactions that
make further commits (a summary, a cascade, notifications): their events then reach listeners
after the event that caused them, as they did when it all ran inline.

This is the one place that answers "what happens after X?" (design §2.6); the generated
"event → reactions" table in `docs/reactions.md` comes from it (a test keeps it current).
Each reaction is idempotent: the sweep may run it again for a commit it has handled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flowra_core.app.chats.commands import ChatCommands
from flowra_core.app.chats.summaries import ChangeSummaries
from flowra_core.app.delivery.reactions import Reaction, ReactionTable
from flowra_core.app.messages.projector import MessageProjector
from flowra_core.app.messages.read_markers import ReadMarkerService
from flowra_core.app.notifications.dispatch import NOTIFYING_EVENTS, NotificationDispatcher
from flowra_core.app.write_path import STATE_REACTION, AggregateKind, Projector, WritePath
from flowra_core.domain.events import AggregateType
from flowra_core.domain.message.events import MessageCreated
from flowra_core.domain.message.values import MessageType
from flowra_core.domain.workspace.events import MemberRemoved
from flowra_core.ports.event_bus import EventBus
from flowra_core.ports.event_store import Commit

EVERY_AGGREGATE = frozenset(AggregateType)
LIVE_REACTION = "live"
# Every reaction's name, in table order (a test checks the table against it): the migration that
# introduced the work list owes them all to the commits the old markers left unfinished.
REACTION_NAMES: tuple[str, ...] = (
    STATE_REACTION,
    "projection.timeline",
    "projection.search",
    "projection.inbox",
    "read_markers.author",
    LIVE_REACTION,
    "chat.change_summary",
    "workspace.member_departure",
    "notifications.dispatch",
)
MEMBER_DEPARTED = MemberRemoved.event_type()
_READ_BY_THEIR_ACTOR = frozenset({MessageType.USER, MessageType.BOT})


@dataclass(frozen=True, slots=True)
class ReactionParts:
    """What the reactions act through."""

    write: WritePath
    kind_for: Callable[[Commit], AggregateKind[Any]]
    messages_projection: MessageProjector
    search_projection: Projector
    inbox_projection: Projector
    summaries: ChangeSummaries
    read_markers: ReadMarkerService
    chats: ChatCommands
    dispatcher: NotificationDispatcher
    bus: EventBus


def flowra_reactions(parts: ReactionParts) -> ReactionTable:
    async def save_state(commit: Commit) -> None:
        kind = parts.kind_for(commit)
        state = await parts.write.load(kind, commit.aggregate_id)
        if state is not None:
            await kind.store.save(state)

    async def change_summary(commit: Commit) -> None:
        if commit.actor_id is None:
            return
        chat = await parts.chats.current(commit.aggregate_id)
        if chat is None:
            return
        await parts.summaries.record(
            chat, commit.actor_id, commit.events, commit_id=commit.commit_id, at=commit.recorded_at
        )

    async def member_departure(commit: Commit) -> None:
        for envelope in commit.events:
            event = envelope.event
            if isinstance(event, MemberRemoved):
                await parts.chats.remove_departed_member(
                    commit.aggregate_id, event.user_id, envelope.actor_id or event.removed_by
                )

    async def author_has_read(commit: Commit) -> None:
        """Whoever made a user message or a bot reply has read it (and what came before)."""
        for envelope in commit.events:
            event = envelope.event
            if (
                isinstance(event, MessageCreated)
                and event.message_type in _READ_BY_THEIR_ACTOR
                and commit.actor_id is not None
            ):
                await parts.read_markers.read_up_to(
                    commit.actor_id, event.chat_id, event.message_id, event.created_at
                )

    async def dispatch(commit: Commit) -> None:
        for envelope in commit.events:
            await parts.dispatcher.handle(envelope)

    async def publish(commit: Commit) -> None:
        await parts.bus.publish(commit.events)

    return ReactionTable(
        [
            Reaction(
                STATE_REACTION,
                "Save the aggregate's state document (the snapshot commands and reads use)",
                EVERY_AGGREGATE,
                None,
                save_state,
                # Projections and follow-ups read the state document it writes.
                holds_back_the_rest=True,
            ),
            Reaction(
                "projection.timeline",
                "Chat activity, thread counters and attachments of messages",
                frozenset({AggregateType.MESSAGE}),
                None,
                parts.messages_projection.project,
                replay=parts.messages_projection.reproject,
            ),
            Reaction(
                "projection.search",
                "Search tokens of messages, chats and work items",
                frozenset({AggregateType.MESSAGE, AggregateType.CHAT}),
                None,
                parts.search_projection.project,
            ),
            Reaction(
                "projection.inbox",
                "The notification list and unread counts",
                frozenset({AggregateType.NOTIFICATION}),
                None,
                parts.inbox_projection.project,
            ),
            Reaction(
                "read_markers.author",
                "The author's read marker moves to their message or its bot reply",
                frozenset({AggregateType.MESSAGE}),
                frozenset({MessageCreated.event_type()}),
                author_has_read,
            ),
            Reaction(
                LIVE_REACTION,
                "Publish the events on the bus: WebSocket fan-out on every instance",
                EVERY_AGGREGATE,
                None,
                publish,
            ),
            Reaction(
                "chat.change_summary",
                "The system message summarising a REST change of a chat (tags.md §6)",
                frozenset({AggregateType.CHAT}),
                None,
                change_summary,
                when=lambda commit: commit.summarize,
            ),
            Reaction(
                "workspace.member_departure",
                "A departed member leaves every chat of the workspace (domain.md §2)",
                frozenset({AggregateType.WORKSPACE}),
                frozenset({MEMBER_DEPARTED}),
                member_departure,
            ),
            Reaction(
                "notifications.dispatch",
                "Notifications for assignments, mentions, status changes, additions (domain.md §5)",
                frozenset({AggregateType.CHAT, AggregateType.MESSAGE}),
                NOTIFYING_EVENTS,
                dispatch,
            ),
        ]
    )
