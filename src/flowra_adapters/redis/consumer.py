"""One durable consumer: this process's member of a consumer group on the event stream.

Each step either reclaims entries that sat unacknowledged for `claim_idle_seconds` (the handler
failed on them, or their consumer died) or reads new ones, and hands them to the handler in
stream order. Success → XACK. Failure → the entry stays pending and comes back after the idle
time, so other entries are not held up; when it fails on its `max_deliveries`-th delivery, or
cannot be decoded at all, it moves to the dead-letter stream (XADD + XACK in one MULTI).

A handler raising ServiceUnavailable (its own dependency is down) is not the entry's fault:
the entry stays pending whatever its delivery count and the loop backs off, like when Redis
itself is away. After an outage the loop recreates the group (a restarted Redis without
persistence has lost it) and carries on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from redis.typing import EncodableT, FieldT

from flowra_adapters.redis.bus_config import ENVELOPE_FIELD, BusKeys, BusOptions
from flowra_adapters.redis.codec import UndecodableMessageError, decode_envelope
from flowra_adapters.redis.errors import OperationHook, guarded
from flowra_adapters.redis.loops import Backoff
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.domain.events import EventEnvelope
from flowra_core.ports.event_bus import EventHandler

_log = logging.getLogger(__name__)

FIRST_CURSOR = b"0-0"


@dataclass(frozen=True, slots=True)
class StreamEntry:
    entry_id: bytes
    fields: dict[bytes, bytes]
    deliveries: int


class GroupConsumer:
    def __init__(
        self,
        client: Redis,
        keys: BusKeys,
        *,
        group: str,
        consumer: str,
        handler: EventHandler,
        options: BusOptions,
        on_operation: OperationHook,
    ) -> None:
        self._client = client
        self._keys = keys
        self._group = group
        self._consumer = consumer
        self.handler = handler
        self._options = options
        self._on_operation = on_operation
        self._cursor = FIRST_CURSOR
        self._next_reclaim = 0.0

    async def run(self, stopping: asyncio.Event) -> None:
        backoff = Backoff(self._options.backoff)
        while not stopping.is_set():
            try:
                await self._create_group()
                while not stopping.is_set():
                    await self.step()
                    backoff.reset()
            except ServiceUnavailable as error:
                _log.warning("consumer %s paused: %s", self._group, error.message)
                await backoff.pause(stopping)

    async def step(self) -> None:
        """Handle one batch: reclaimed entries when some are due, else new ones."""
        entries = await self._reclaim() if time.monotonic() >= self._next_reclaim else []
        if not entries:
            entries = await self._read_new()
        for entry in entries:
            await self._deliver(entry)

    async def _create_group(self) -> None:
        # From the start of the stream: events published before the group's first process
        # started are delivered too (consumers deduplicate by event_id).
        with guarded("bus.group_create", self._on_operation):
            try:
                await self._client.xgroup_create(
                    self._keys.stream, self._group, id="0", mkstream=True
                )
            except ResponseError as error:
                if not str(error).startswith("BUSYGROUP"):
                    raise

    async def _read_new(self) -> list[StreamEntry]:
        with guarded("bus.read", self._on_operation):
            reply: Any = await self._client.xreadgroup(
                self._group,
                self._consumer,
                {self._keys.stream: ">"},
                count=self._options.batch_size,
                block=max(1, round(self._options.block_seconds * 1000)),
            )
        if not reply:
            return []
        _stream, messages = reply[0]
        return [StreamEntry(entry_id, fields, 1) for entry_id, fields in messages]

    async def _reclaim(self) -> list[StreamEntry]:
        with guarded("bus.claim", self._on_operation):
            reply = await self._client.xautoclaim(
                self._keys.stream,
                self._group,
                self._consumer,
                min_idle_time=round(self._options.claim_idle_seconds * 1000),
                start_id=self._cursor,
                count=self._options.batch_size,
            )
        self._cursor, claimed = reply[0], reply[1]
        trimmed = reply[2] if len(reply) > 2 else []
        if trimmed:
            _log.warning(
                "consumer %s lost %d pending entries trimmed from the stream (max_length %d)",
                self._group,
                len(trimmed),
                self._options.max_length,
            )
        if self._cursor == FIRST_CURSOR:  # a full pass over the pending entries is done
            self._next_reclaim = time.monotonic() + self._options.reclaim_interval_seconds
            await self._forget_idle_consumers()
        present = [(entry_id, fields) for entry_id, fields in claimed if fields]
        if not present:
            return []
        counts = await self._delivery_counts([entry_id for entry_id, _ in present])
        return [StreamEntry(entry_id, fields, counts[entry_id]) for entry_id, fields in present]

    async def _delivery_counts(self, entry_ids: list[bytes]) -> dict[bytes, int]:
        with guarded("bus.pending", self._on_operation):
            async with self._client.pipeline(transaction=False) as pipe:
                for entry_id in entry_ids:
                    pipe.xpending_range(self._keys.stream, self._group, entry_id, entry_id, 1)
                replies: list[list[dict[str, Any]]] = await pipe.execute()
        counts = {entry_id: 1 for entry_id in entry_ids}
        for reply in replies:
            for pending in reply:
                counts[pending["message_id"]] = int(pending["times_delivered"])
        return counts

    async def _forget_idle_consumers(self) -> None:
        expiry_ms = self._options.consumer_expiry_seconds * 1000
        with guarded("bus.consumers", self._on_operation):
            consumers = await self._client.xinfo_consumers(self._keys.stream, self._group)
            for consumer in consumers:
                name = consumer["name"]
                idle = consumer["pending"] == 0 and consumer["idle"] > expiry_ms
                if idle and name != self._consumer.encode():
                    await self._client.xgroup_delconsumer(self._keys.stream, self._group, name)

    async def _deliver(self, entry: StreamEntry) -> None:
        payload = entry.fields.get(ENVELOPE_FIELD, b"")
        try:
            envelope = decode_envelope(payload)
        except UndecodableMessageError as error:
            _log.error("consumer %s: entry %r is not an event", self._group, entry.entry_id)
            await self._dead_letter(entry, str(error))
            return
        try:
            await self.handler(envelope)
        except ServiceUnavailable:
            _log.warning("consumer %s: %s left pending", self._group, envelope.event_id)
            raise
        except Exception as error:  # noqa: BLE001 - a failing handler must not stop the consumer
            last = entry.deliveries >= self._options.max_deliveries
            _log.warning(
                "consumer %s failed on %s (delivery %d of %d)",
                self._group,
                envelope.event_id,
                entry.deliveries,
                self._options.max_deliveries,
                exc_info=True,
            )
            if last:
                await self._dead_letter(entry, repr(error), envelope)
            return
        with guarded("bus.ack", self._on_operation):
            await self._client.xack(self._keys.stream, self._group, entry.entry_id)

    async def _dead_letter(
        self, entry: StreamEntry, reason: str, envelope: EventEnvelope | None = None
    ) -> None:
        _log.error("consumer %s dead-letters entry %r: %s", self._group, entry.entry_id, reason)
        letter: dict[FieldT, EncodableT] = {
            ENVELOPE_FIELD: entry.fields.get(ENVELOPE_FIELD, b""),
            "group": self._group,
            "entry_id": entry.entry_id,
            "deliveries": entry.deliveries,
            "error": reason,
        }
        if envelope is not None:
            letter["event_id"] = envelope.event_id
            letter["event_type"] = envelope.type
        with guarded("bus.dead_letter", self._on_operation):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.xadd(
                    self._keys.dead_letters,
                    letter,
                    maxlen=self._options.max_length,
                    approximate=True,
                )
                pipe.xack(self._keys.stream, self._group, entry.entry_id)
                await pipe.execute()
