"""In-process event bus (single process only): `publish` hands each event to every listener, then
to every durable consumer, inline and in order.

It mirrors the Redis bus where a consumer fails: the publication itself still succeeds, the
event is retried (here at once) up to `max_deliveries` times, and then parked as a dead letter
until `replay_dead_letters`. A failing listener is logged and skipped. The live feed cannot be
lost, so gap handlers are never called.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from flowra_core.domain.events import EventEnvelope
from flowra_core.ports.clock import Clock
from flowra_core.ports.dead_letters import (
    DEFAULT_LIST_LIMIT,
    DeadLetter,
    DeadLetterReplay,
    ReplayFailure,
    no_handler_error,
)
from flowra_core.ports.event_bus import EventHandler, LiveGapHandler

_log = logging.getLogger(__name__)

DEFAULT_MAX_DELIVERIES = 5


@dataclass(frozen=True, slots=True)
class _Parked:
    letter: DeadLetter
    envelope: EventEnvelope


class InMemoryEventBus:
    def __init__(
        self, clock: Clock | None = None, *, max_deliveries: int = DEFAULT_MAX_DELIVERIES
    ) -> None:
        """`clock` dates the dead letters (default: the system time)."""
        if max_deliveries < 1:
            raise ValueError("max_deliveries must be at least 1")
        self._clock = clock
        self._max_deliveries = max_deliveries
        self._consumers: dict[str, EventHandler] = {}
        self._listeners: list[EventHandler] = []
        self._dead: list[_Parked] = []
        self._letter_ids = itertools.count(1)

    def subscribe(self, name: str, handler: EventHandler) -> None:
        self._consumers[name] = handler

    def listen(self, handler: EventHandler) -> None:
        self._listeners.append(handler)

    def on_live_gap(self, handler: LiveGapHandler) -> None:
        """Nothing to do: an in-process feed has no gaps."""

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        for envelope in events:
            for listener in list(self._listeners):
                try:
                    await listener(envelope)
                except Exception:  # noqa: BLE001 - one failing listener must not starve the others
                    _log.exception("live listener failed on %s", envelope.event_id)
            for group, handler in list(self._consumers.items()):
                await self._deliver(group, handler, envelope)

    async def _deliver(self, group: str, handler: EventHandler, envelope: EventEnvelope) -> None:
        last_error = ""
        for delivery in range(1, self._max_deliveries + 1):
            try:
                await handler(envelope)
            except Exception as error:  # noqa: BLE001 - the publication itself succeeded
                _log.warning(
                    "consumer %s failed on %s (delivery %d of %d)",
                    group,
                    envelope.event_id,
                    delivery,
                    self._max_deliveries,
                    exc_info=True,
                )
                last_error = repr(error)
            else:
                return
        self._park(group, envelope, last_error)

    def _park(self, group: str, envelope: EventEnvelope, error: str) -> None:
        _log.error("consumer %s dead-letters %s: %s", group, envelope.event_id, error)
        letter = DeadLetter(
            letter_id=str(next(self._letter_ids)),
            group=group,
            event_id=envelope.event_id,
            event_type=envelope.type,
            deliveries=self._max_deliveries,
            error=error,
            dead_at=self._clock.now() if self._clock is not None else datetime.now(UTC),
        )
        self._dead.append(_Parked(letter, envelope))

    # --- dead letters (ports/dead_letters.py) -----------------------------------------------

    async def dead_letter_count(self) -> int:
        return len(self._dead)

    async def dead_letters(self, *, limit: int = DEFAULT_LIST_LIMIT) -> Sequence[DeadLetter]:
        return [parked.letter for parked in self._dead[:limit]]

    async def replay_dead_letters(self) -> DeadLetterReplay:
        replayed: list[DeadLetter] = []
        failed: list[ReplayFailure] = []
        for parked in list(self._dead):
            handler = self._consumers.get(parked.letter.group)
            if handler is None:
                failed.append(ReplayFailure(parked.letter, no_handler_error(parked.letter.group)))
                continue
            try:
                await handler(parked.envelope)
            except Exception as error:  # noqa: BLE001 - reported; the letter stays
                failed.append(ReplayFailure(parked.letter, repr(error)))
                continue
            self._dead.remove(parked)
            replayed.append(parked.letter)
        return DeadLetterReplay(replayed=replayed, failed=failed)
