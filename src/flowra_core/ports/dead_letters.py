"""Dead letters of the event bus: events a durable consumer gave up on after its last allowed
delivery (or could not decode at all). They are kept, listed and counted (health, metrics), and
replayed on demand once the cause is fixed (`flowra-worker dead-letters --replay`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

DEFAULT_LIST_LIMIT = 100


@dataclass(frozen=True, slots=True)
class DeadLetter:
    letter_id: str
    """Identifies the letter in its bus (the Redis dead-letter stream's entry id)."""
    group: str
    """The consumer group (`subscribe` name) that gave up on the event."""
    event_id: str | None
    """None (like `event_type`) when the entry could not be decoded as an event."""
    event_type: str | None
    deliveries: int
    """How many times the group's handler was given the event."""
    error: str
    """The last failure, as the handler raised it."""
    dead_at: datetime


@dataclass(frozen=True, slots=True)
class ReplayFailure:
    letter: DeadLetter
    error: str
    """Why the letter is kept: the handler's error, no handler for its group in this process,
    or an entry that is not an event."""


@dataclass(frozen=True, slots=True)
class DeadLetterReplay:
    replayed: Sequence[DeadLetter]
    """Handled successfully and removed."""
    failed: Sequence[ReplayFailure]
    """Still dead letters."""


def no_handler_error(group: str) -> str:
    """The failure reported for a letter whose group has no handler in the replaying process."""
    return f"no handler for consumer group {group!r} in this process"


class DeadLetters(Protocol):
    """Implemented by the event buses next to EventBus."""

    async def dead_letter_count(self) -> int:
        """How many dead letters there are (all groups). ServiceUnavailable when unknown."""
        ...

    async def dead_letters(self, *, limit: int = DEFAULT_LIST_LIMIT) -> Sequence[DeadLetter]:
        """The oldest `limit` dead letters, oldest first."""
        ...

    async def replay_dead_letters(self) -> DeadLetterReplay:
        """Give every dead letter, oldest first, to the handler registered (`subscribe`) in this
        process for its group: a success removes the letter, a failure keeps it. Handlers
        deduplicate by event id, so a letter replayed twice does no harm."""
        ...
