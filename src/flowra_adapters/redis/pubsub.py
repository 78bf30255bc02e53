"""One Redis pub/sub subscription kept alive across outages.

When the connection drops, the feed closes it, waits with back-off and subscribes again on a new
one (or redis-py reconnects and resubscribes the same one inside a read). Messages published
while it is away are lost: pub/sub only serves live pushes, whose clients resync from the journal
after a gap (websocket.md §5). Every subscription Redis confirms after the first one therefore
calls `on_resubscribed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from flowra_adapters.redis.errors import OperationHook, guarded, unavailable
from flowra_adapters.redis.loops import Backoff, BackoffPolicy
from flowra_core.domain.errors import ServiceUnavailable

_log = logging.getLogger(__name__)

# How often a quiet subscription looks at `stopping` (and lets the client health-check it).
READ_POLL_SECONDS = 0.25

MessageHandler = Callable[[bytes, bytes], Awaitable[None]]
"""`(channel, data)` of one received message."""
ResubscribedHandler = Callable[[], Awaitable[None]]


class PubSubFeed:
    """Receives the messages of `pattern` (PSUBSCRIBE) or `channel` (SUBSCRIBE) and hands each to
    `on_message`, one at a time. A failing handler is logged; the feed goes on."""

    def __init__(
        self,
        client: Redis,
        *,
        on_message: MessageHandler,
        operation: str,
        on_operation: OperationHook,
        backoff: BackoffPolicy,
        pattern: str | None = None,
        channel: str | None = None,
        on_resubscribed: ResubscribedHandler | None = None,
    ) -> None:
        if (pattern is None) == (channel is None):
            raise ValueError("a feed has either a pattern or a channel")
        self._client = client
        self._on_message = on_message
        self._operation = operation
        self._on_operation = on_operation
        self._backoff = backoff
        self._pattern = pattern
        self._channel = channel
        self._on_resubscribed = on_resubscribed
        self._subscribed = False
        self._confirmed_before = False

    @property
    def is_subscribed(self) -> bool:
        """True while the subscription is established (messages published now will arrive)."""
        return self._subscribed

    async def run(self, stopping: asyncio.Event) -> None:
        backoff = Backoff(self._backoff)
        while not stopping.is_set():
            pubsub = self._client.pubsub()
            try:
                await self._subscribe(pubsub)
                await self._receive(pubsub, stopping, backoff)
            except ServiceUnavailable as error:
                _log.warning("pub/sub %s lost, resubscribing: %s", self._subject, error.reason)
            finally:
                self._subscribed = False
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            if not stopping.is_set():
                await backoff.pause(stopping)

    @property
    def _subject(self) -> str:
        return self._pattern or self._channel or ""

    async def _subscribe(self, pubsub: PubSub) -> None:
        with guarded(self._operation, self._on_operation):
            if self._pattern is not None:
                await pubsub.psubscribe(self._pattern)
            else:
                await pubsub.subscribe(self._subject)

    async def _receive(self, pubsub: PubSub, stopping: asyncio.Event, backoff: Backoff) -> None:
        while not stopping.is_set():
            try:
                message = await pubsub.get_message(timeout=READ_POLL_SECONDS)
            except (RedisError, OSError) as error:
                raise unavailable(error) from error
            if message is None:
                continue
            if message["type"] in ("subscribe", "psubscribe"):
                # Redis confirmed: from now on every message published reaches this feed.
                self._subscribed = True
                backoff.reset()
                if self._confirmed_before:
                    await self._resubscribed()
                self._confirmed_before = True
            elif message["type"] in ("message", "pmessage"):
                await self._hand_over(message["channel"], message["data"])

    async def _resubscribed(self) -> None:
        _log.warning(
            "pub/sub %s subscribed again; what was published meanwhile is lost", self._subject
        )
        if self._on_resubscribed is None:
            return
        try:
            await self._on_resubscribed()
        except Exception:  # noqa: BLE001 - the feed must go on whatever the handler does
            _log.exception("pub/sub %s: resubscription handler failed", self._subject)

    async def _hand_over(self, channel: bytes, data: bytes) -> None:
        try:
            await self._on_message(channel, data)
        except Exception:  # noqa: BLE001 - one bad message must not end the subscription
            _log.exception("pub/sub message on %r not handled", channel)
