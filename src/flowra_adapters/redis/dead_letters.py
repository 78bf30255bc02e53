"""The dead-letter stream `<prefix>dead` (bus_config): entries a consumer group gave up on, as
GroupConsumer wrote them. Listed and counted from the stream; replayed through the handler this
process registered for each letter's group, removing (XDEL) the letters handled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from redis.asyncio import Redis

from flowra_adapters.redis.bus_config import ENVELOPE_FIELD, BusKeys
from flowra_adapters.redis.codec import UndecodableMessageError, decode_envelope
from flowra_adapters.redis.errors import OperationHook, guarded
from flowra_core.domain.events import EventEnvelope
from flowra_core.ports.dead_letters import (
    DeadLetter,
    DeadLetterReplay,
    ReplayFailure,
    no_handler_error,
)
from flowra_core.ports.event_bus import EventHandler

_log = logging.getLogger(__name__)

REPLAY_PAGE: Final = 100
HandlerLookup = Callable[[str], EventHandler | None]
"""The handler registered in this process for a consumer group, if any."""


def _text(fields: dict[bytes, bytes], name: str) -> str:
    return fields.get(name.encode(), b"").decode(errors="replace")


def _read_letter(
    entry_id: bytes, fields: dict[bytes, bytes]
) -> tuple[DeadLetter, EventEnvelope | None]:
    """The letter of one stream entry, and its event when the payload decodes."""
    try:
        envelope: EventEnvelope | None = decode_envelope(fields.get(ENVELOPE_FIELD, b""))
    except UndecodableMessageError:
        envelope = None
    event_id = envelope.event_id if envelope else _text(fields, "event_id") or None
    event_type = envelope.type if envelope else _text(fields, "event_type") or None
    milliseconds = int(entry_id.split(b"-", 1)[0])
    letter = DeadLetter(
        letter_id=entry_id.decode(),
        group=_text(fields, "group"),
        event_id=event_id,
        event_type=event_type,
        deliveries=int(fields.get(b"deliveries", b"0") or 0),
        error=_text(fields, "error"),
        dead_at=datetime.fromtimestamp(milliseconds / 1000, UTC),
    )
    return letter, envelope


class RedisDeadLetterBox:
    def __init__(
        self,
        client: Redis,
        keys: BusKeys,
        *,
        handler_of: HandlerLookup,
        on_operation: OperationHook,
    ) -> None:
        self._client = client
        self._key = keys.dead_letters
        self._handler_of = handler_of
        self._on_operation = on_operation

    async def count(self) -> int:
        with guarded("bus.dead_letter_count", self._on_operation):
            return int(await self._client.xlen(self._key))

    async def letters(self, limit: int) -> Sequence[DeadLetter]:
        return [letter for letter, _ in await self._page("-", limit)]

    async def replay(self) -> DeadLetterReplay:
        replayed: list[DeadLetter] = []
        failed: list[ReplayFailure] = []
        start = "-"
        while page := await self._page(start, REPLAY_PAGE):
            for letter, envelope in page:
                error = await self._redeliver(letter, envelope)
                if error is None:
                    replayed.append(letter)
                else:
                    failed.append(ReplayFailure(letter, error))
            start = f"({page[-1][0].letter_id}"  # exclusive: after the last one read
        if replayed or failed:
            _log.info("dead letters replayed: %d, kept: %d", len(replayed), len(failed))
        return DeadLetterReplay(replayed=replayed, failed=failed)

    async def _page(self, start: str, count: int) -> list[tuple[DeadLetter, EventEnvelope | None]]:
        with guarded("bus.dead_letters", self._on_operation):
            entries: Any = await self._client.xrange(self._key, min=start, count=count)
        return [_read_letter(entry_id, fields) for entry_id, fields in entries]

    async def _redeliver(self, letter: DeadLetter, envelope: EventEnvelope | None) -> str | None:
        """None when the group's handler took the event and the letter is gone; else why not."""
        if envelope is None:
            return "the entry is not an event this version can decode"
        handler = self._handler_of(letter.group)
        if handler is None:
            return no_handler_error(letter.group)
        try:
            await handler(envelope)
        except Exception as error:  # noqa: BLE001 - reported; the letter stays
            _log.warning("dead letter %s failed again in %s", letter.letter_id, letter.group)
            return repr(error)
        with guarded("bus.dead_letter_delete", self._on_operation):
            await self._client.xdel(self._key, letter.letter_id)
        return None
