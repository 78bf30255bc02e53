"""Resume (websocket.md §5): the chat's `chat.*` and `message.*` events recorded after the
client's last event, or the reason the client must reload the chat instead."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final, Protocol

from flowra_core.domain.events import EventEnvelope
from flowra_core.ports.event_store import JournalPosition
from flowra_entrypoints.ws.frames import ResyncReason

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
