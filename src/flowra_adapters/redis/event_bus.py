"""The event bus on Redis (design §2.4): Streams with consumer groups for durable consumers, pub/sub
for live fan-out to every API instance. Key and channel names are in bus_config.

`publish` appends each event to the stream and publishes it on `<prefix><event type>` in one
MULTI. Durable consumers (`subscribe`) and live listeners (`listen`) run as background loops
between `start()` and `stop()`; they may be registered before or after `start()`. When the live
subscription comes back after a loss, the gap handlers (`on_live_gap`) are told. Entries a group
gave up on are dead letters (dead_letters.py), replayed through this process's handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from redis.asyncio import Redis

from flowra_adapters.redis.bus_config import ENVELOPE_FIELD, BusKeys, BusOptions
from flowra_adapters.redis.client import new_instance_id
from flowra_adapters.redis.codec import UndecodableMessageError, decode_envelope, encode_envelope
from flowra_adapters.redis.consumer import GroupConsumer
from flowra_adapters.redis.dead_letters import RedisDeadLetterBox
from flowra_adapters.redis.errors import OperationHook, guarded, ignore_operation
from flowra_adapters.redis.loops import BackgroundLoops
from flowra_adapters.redis.pubsub import PubSubFeed
from flowra_core.domain.events import EventEnvelope
from flowra_core.ports.dead_letters import DEFAULT_LIST_LIMIT, DeadLetter, DeadLetterReplay
from flowra_core.ports.event_bus import EventHandler, LiveGapHandler

_log = logging.getLogger(__name__)


class RedisEventBus:
    def __init__(
        self,
        client: Redis,
        *,
        keys: BusKeys | None = None,
        consumer_id: str | None = None,
        options: BusOptions | None = None,
        on_operation: OperationHook = ignore_operation,
    ) -> None:
        """`consumer_id` names this process in every consumer group (default: host, pid and a
        random suffix, so a restarted process never inherits a dead one's entries by name)."""
        self._client = client
        self._keys = keys or BusKeys()
        self._consumer_id = consumer_id or new_instance_id()
        self._options = options or BusOptions()
        self._on_operation = on_operation
        _check_block_fits_socket_timeout(client, self._options)
        self._consumers: dict[str, GroupConsumer] = {}
        self._listeners: list[EventHandler] = []
        self._gap_handlers: list[LiveGapHandler] = []
        self._feed = PubSubFeed(
            client,
            pattern=self._keys.live_pattern,
            on_message=self._received_live,
            operation="bus.listen",
            on_operation=on_operation,
            backoff=self._options.backoff,
            on_resubscribed=self._live_gap,
        )
        self._dead_letters = RedisDeadLetterBox(
            client, self._keys, handler_of=self._handler_of, on_operation=on_operation
        )
        self._loops = BackgroundLoops("redis-event-bus")
        self._started = False
        self._feeding = False

    @property
    def keys(self) -> BusKeys:
        return self._keys

    @property
    def consumer_id(self) -> str:
        return self._consumer_id

    @property
    def is_running(self) -> bool:
        return self._started

    @property
    def is_listening(self) -> bool:
        """True while live events reach this process (readiness: the bus is subscribed)."""
        return self._feed.is_subscribed

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        """All of `events`, in order, or none (MULTI); ServiceUnavailable when Redis is away."""
        if not events:
            return
        encoded = [(envelope.type, encode_envelope(envelope)) for envelope in events]
        with guarded("bus.publish", self._on_operation):
            async with self._client.pipeline(transaction=True) as pipe:
                for event_type, payload in encoded:
                    pipe.xadd(
                        self._keys.stream,
                        {ENVELOPE_FIELD: payload},
                        maxlen=self._options.max_length,
                        approximate=True,
                    )
                    pipe.publish(self._keys.channel(event_type), payload)
                await pipe.execute()

    def subscribe(self, name: str, handler: EventHandler) -> None:
        """Join consumer group `name` (registering a name again replaces its handler)."""
        existing = self._consumers.get(name)
        if existing is not None:
            existing.handler = handler
            return
        consumer = GroupConsumer(
            self._client,
            self._keys,
            group=name,
            consumer=self._consumer_id,
            handler=handler,
            options=self._options,
            on_operation=self._on_operation,
        )
        self._consumers[name] = consumer
        if self._started:
            self._loops.spawn(consumer.run, f"consumer:{name}")

    def listen(self, handler: EventHandler) -> None:
        self._listeners.append(handler)
        if self._started:
            self._start_feed()

    def on_live_gap(self, handler: LiveGapHandler) -> None:
        self._gap_handlers.append(handler)

    def start(self) -> None:
        """Start the registered consumers and the live feed on the running loop; idempotent."""
        if self._started:
            return
        self._started = True
        for name, consumer in self._consumers.items():
            self._loops.spawn(consumer.run, f"consumer:{name}")
        if self._listeners:
            self._start_feed()

    async def stop(self) -> None:
        """Let each loop finish its batch (up to `stop_timeout_seconds`), then cancel it.
        Unacknowledged entries stay pending and are reclaimed by another process."""
        self._started = False
        self._feeding = False
        await self._loops.stop(self._options.stop_timeout_seconds)

    # --- dead letters (ports/dead_letters.py) -----------------------------------------------

    async def dead_letter_count(self) -> int:
        """Entries in the dead-letter stream (all groups)."""
        return await self._dead_letters.count()

    async def dead_letters(self, *, limit: int = DEFAULT_LIST_LIMIT) -> list[DeadLetter]:
        return list(await self._dead_letters.letters(limit))

    async def replay_dead_letters(self) -> DeadLetterReplay:
        """Works without `start()`: only the handlers registered with `subscribe` are used."""
        return await self._dead_letters.replay()

    def _handler_of(self, group: str) -> EventHandler | None:
        consumer = self._consumers.get(group)
        return consumer.handler if consumer is not None else None

    def _start_feed(self) -> None:
        if not self._feeding:
            self._feeding = True
            self._loops.spawn(self._feed.run, "live")

    async def _received_live(self, channel: bytes, data: bytes) -> None:
        if channel == self._keys.ephemeral_channel.encode():
            return
        try:
            envelope = decode_envelope(data)
        except UndecodableMessageError as error:
            _log.warning("live message on %r skipped: %s", channel, error)
            return
        for handler in list(self._listeners):
            try:
                await handler(envelope)
            except Exception:  # noqa: BLE001 - one failing listener must not starve the others
                _log.exception("live listener failed on %s", envelope.event_id)

    async def _live_gap(self) -> None:
        for handler in list(self._gap_handlers):
            try:
                await handler()
            except Exception:  # noqa: BLE001 - one failing handler must not starve the others
                _log.exception("live gap handler failed")


def _check_block_fits_socket_timeout(client: Redis, options: BusOptions) -> None:
    socket_timeout = client.connection_pool.connection_kwargs.get("socket_timeout")
    if socket_timeout is not None and options.block_seconds >= socket_timeout:
        raise ValueError(
            f"block_seconds ({options.block_seconds}) must be shorter than the Redis client's "
            f"socket timeout ({socket_timeout})"
        )
