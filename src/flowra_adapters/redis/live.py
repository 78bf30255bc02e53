"""Live pushes (typing, presence, read markers, session ends) relayed to every instance on the
pub/sub channel `<prefix>ws.ephemeral` (websocket.md §9). Nothing is stored: a push nobody hears
is gone. When the subscription comes back after a loss, the gap handlers (`on_gap`) are told."""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from flowra_adapters.redis.bus_config import BusKeys
from flowra_adapters.redis.codec import UndecodableMessageError, decode_push, encode_push
from flowra_adapters.redis.errors import OperationHook, guarded, ignore_operation
from flowra_adapters.redis.loops import BackgroundLoops, BackoffPolicy
from flowra_adapters.redis.pubsub import PubSubFeed
from flowra_core.ports.live import LiveGapHandler, LiveHandler, LivePush

_log = logging.getLogger(__name__)

STOP_TIMEOUT_SECONDS = 2.0


class RedisLiveChannel:
    def __init__(
        self,
        client: Redis,
        *,
        keys: BusKeys | None = None,
        backoff: BackoffPolicy | None = None,
        on_operation: OperationHook = ignore_operation,
    ) -> None:
        self._client = client
        self._channel = (keys or BusKeys()).ephemeral_channel
        self._on_operation = on_operation
        self._listeners: list[LiveHandler] = []
        self._gap_handlers: list[LiveGapHandler] = []
        self._feed = PubSubFeed(
            client,
            channel=self._channel,
            on_message=self._received,
            operation="live.listen",
            on_operation=on_operation,
            backoff=backoff or BackoffPolicy(),
            on_resubscribed=self._gap,
        )
        self._loops = BackgroundLoops("redis-live-channel")
        self._started = False

    @property
    def is_listening(self) -> bool:
        return self._feed.is_subscribed

    async def publish(self, push: LivePush) -> None:
        with guarded("live.publish", self._on_operation):
            await self._client.publish(self._channel, encode_push(push))

    def listen(self, handler: LiveHandler) -> None:
        self._listeners.append(handler)

    def on_gap(self, handler: LiveGapHandler) -> None:
        self._gap_handlers.append(handler)

    def start(self) -> None:
        """Subscribe on the running loop (listeners may be added before or after); idempotent."""
        if not self._started:
            self._started = True
            self._loops.spawn(self._feed.run, "live")

    async def stop(self) -> None:
        self._started = False
        await self._loops.stop(STOP_TIMEOUT_SECONDS)

    async def _received(self, channel: bytes, data: bytes) -> None:
        try:
            push = decode_push(data)
        except UndecodableMessageError as error:
            _log.warning("live push skipped: %s", error)
            return
        for handler in list(self._listeners):
            try:
                await handler(push)
            except Exception:  # noqa: BLE001 - one failing listener must not starve the others
                _log.exception("live listener failed on %s", type(push).__name__)

    async def _gap(self) -> None:
        for handler in list(self._gap_handlers):
            try:
                await handler()
            except Exception:  # noqa: BLE001 - every handler hears of the gap
                _log.exception("live channel gap handler failed")
