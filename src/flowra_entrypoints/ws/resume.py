"""Resume (websocket.md §5): the chat's `chat.*` and `message.*` events recorded after the
client's last event, or the reason the client must reload the chat instead; and the call to
resume that every subscriber gets after a gap in the live feed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final, Protocol

from flowra_core.domain.events import EventEnvelope
from flowra_core.ports.event_store import JournalPosition
from flowra_entrypoints.ws.frames import OutboundFrame, ResyncReason, ResyncRequired, encode
from flowra_entrypoints.ws.hub import Hub

MAX_REPLAYED_EVENTS: Final = 500


class ChatJournal(Protocol):
    """The part of the EventStore that resume reads."""

    async def locate_event(self, event_id: str) -> JournalPosition | None: ...

    async def chat_events_after(
        self, position: JournalPosition, *, limit: int
    ) -> Sequence[EventEnvelope]: ...


async def missed_events(
    journal: ChatJournal,
    chat_id: str,
    last_event_id: str,
    *,
    now: datetime,
    window: timedelta,
) -> Sequence[EventEnvelope] | ResyncReason:
    position = await journal.locate_event(last_event_id)
    # Any event recorded under the chat is a valid starting point (a notification about it too).
    if position is None or position.chat_id != chat_id:
        return ResyncReason.UNKNOWN_EVENT
    if position.recorded_at < now - window:
        return ResyncReason.TOO_OLD
    events = await journal.chat_events_after(position, limit=MAX_REPLAYED_EVENTS + 1)
    if len(events) > MAX_REPLAYED_EVENTS:
        return ResyncReason.TOO_MANY
    return events


LIVE_GAP_REASON: Final = ResyncReason.TOO_MANY
"""websocket.md §5 names no reason for a gap in the live feed; `too_many` is the closest: an
unknown number of events went by that the server will not replay unasked."""


def ask_subscribers_to_resync(hub: Hub) -> int:
    """After a gap in the live feed: `resync_required` for every subscription of every
    connection here, so each client resumes (`subscribe` with `last_event_id`) or reloads.
    Returns how many frames were queued. A frame for a chat being replayed waits for the end of
    the replay."""
    frames: dict[str, OutboundFrame] = {}
    queued = 0
    for connection in hub.connections():
        for chat_id in list(connection.subscriptions):
            frame = frames.get(chat_id)
            if frame is None:
                frame = frames[chat_id] = encode(
                    ResyncRequired(chat_id=chat_id, reason=LIVE_GAP_REASON)
                )
            connection.push(frame, chat_id=chat_id)
            queued += 1
    return queued
