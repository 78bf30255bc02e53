"""One open WebSocket: its user, its subscriptions, the event ids it already got, and a bounded
queue of frames that a writer task sends in order.

Nothing here blocks the caller: `push` either queues a frame or, when the queue is full, closes
the connection as a slow consumer (4008) so one stalled client never holds up the others.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Final, Protocol

from flowra_core.app.actor import Actor
from flowra_entrypoints.ws.frames import CloseCode, OutboundFrame
from flowra_entrypoints.ws.meter import WebSocketMeter

# websocket.md §5: a connection suppresses duplicates among its last 1000 event ids.
RECENT_EVENT_IDS: Final = 1000


class PeerGoneError(Exception):
    """The peer has gone; nothing more can be sent on this socket."""


class FrameSink(Protocol):
    async def send(self, text: str) -> None:
        """Send one text frame; PeerGoneError when the peer has gone."""
        ...


class Subscription:
    """A chat the connection follows. While missed events are replayed, live frames for the chat
    wait in `replay_buffer` so they go out after the replay, not before it."""

    __slots__ = ("replay_buffer", "workspace_id")

    def __init__(self, workspace_id: str) -> None:
        self.workspace_id = workspace_id
        self.replay_buffer: deque[tuple[str | None, OutboundFrame]] | None = None


CloseRequest = Callable[["Connection", int, str], None]


class Connection:
    __slots__ = (
        "_meter",
        "_on_close",
        "_queue",
        "_recent",
        "_sink",
        "actor",
        "close_code",
        "id",
        "session_id",
        "subscriptions",
    )

    def __init__(
        self,
        connection_id: str,
        actor: Actor,
        sink: FrameSink,
        *,
        queue_size: int,
        meter: WebSocketMeter,
        on_close: CloseRequest,
        session_id: str | None = None,
    ) -> None:
        """`session_id`: the browser session whose ticket opened the connection, if any."""
        self.id = connection_id
        self.actor = actor
        self.session_id = session_id
        self.subscriptions: dict[str, Subscription] = {}
        self.close_code: int | None = None
        self._sink = sink
        self._meter = meter
        self._on_close = on_close
        self._queue: asyncio.Queue[OutboundFrame] = asyncio.Queue(queue_size)
        self._recent: dict[str, None] | None = None  # insertion-ordered set, created on first use

    @property
    def user_id(self) -> str:
        return self.actor.user_id

    @property
    def is_closing(self) -> bool:
        return self.close_code is not None

    def push(
        self, frame: OutboundFrame, *, event_id: str | None = None, chat_id: str | None = None
    ) -> None:
        """Queue a frame. A domain event (`event_id`) goes out at most once per connection; one
        about a chat being replayed (`chat_id`) waits until the replay is over."""
        if self.close_code is not None:
            return
        if chat_id is not None:
            subscription = self.subscriptions.get(chat_id)
            if subscription is not None and subscription.replay_buffer is not None:
                subscription.replay_buffer.append((event_id, frame))
                return
        if event_id is not None and not self._first_sight(event_id):
            return
        try:
            self._queue.put_nowait(frame)
        except asyncio.QueueFull:
            self._slow_consumer()

    async def push_in_turn(
        self, frame: OutboundFrame, *, event_id: str | None = None, patience: float
    ) -> None:
        """Queue a frame of a long series (a replay) at the client's pace: wait up to `patience`
        seconds for room in the queue before judging the client too slow."""
        if self.close_code is not None:
            return
        if event_id is not None and not self._first_sight(event_id):
            return
        try:
            async with asyncio.timeout(patience):
                await self._queue.put(frame)
        except TimeoutError:
            self._slow_consumer()

    def _slow_consumer(self) -> None:
        self._meter.slow_consumer()
        self.close(CloseCode.SLOW_CONSUMER, "slow consumer")

    def has_seen(self, event_id: str) -> bool:
        return self._recent is not None and event_id in self._recent

    def _first_sight(self, event_id: str) -> bool:
        recent = self._recent
        if recent is None:
            recent = self._recent = {}
        if event_id in recent:
            return False
        recent[event_id] = None
        if len(recent) > RECENT_EVENT_IDS:
            del recent[next(iter(recent))]
        return True

    def close(self, code: int, reason: str) -> None:
        """Stop sending and have the socket closed with `code`; later calls change nothing."""
        if self.close_code is not None:
            return
        self.close_code = code
        self._on_close(self, code, reason)

    # --- subscriptions ----------------------------------------------------------------------

    def subscribe(self, chat_id: str, workspace_id: str) -> Subscription:
        subscription = self.subscriptions.get(chat_id)
        if subscription is None:
            subscription = self.subscriptions[chat_id] = Subscription(workspace_id)
        return subscription

    def unsubscribe(self, chat_id: str) -> bool:
        """Drop the subscription (what a replay had buffered is still sent); True if it existed."""
        subscription = self.subscriptions.pop(chat_id, None)
        if subscription is None:
            return False
        self._flush(subscription)
        return True

    def begin_replay(self, chat_id: str) -> None:
        self.subscriptions[chat_id].replay_buffer = deque()

    async def end_replay(self, chat_id: str, *, patience: float) -> None:
        """Send what arrived live during the replay (and while this sends), minus what the
        replay already sent; live frames flow directly again afterwards."""
        subscription = self.subscriptions.get(chat_id)
        if subscription is None or subscription.replay_buffer is None:
            return
        buffered = subscription.replay_buffer
        while buffered:
            event_id, frame = buffered.popleft()
            await self.push_in_turn(frame, event_id=event_id, patience=patience)
        subscription.replay_buffer = None

    def _flush(self, subscription: Subscription) -> None:
        buffered, subscription.replay_buffer = subscription.replay_buffer, None
        for event_id, frame in buffered or ():
            self.push(frame, event_id=event_id)

    # --- sending ----------------------------------------------------------------------------

    async def write_frames(self) -> None:
        """Send queued frames in order until the peer goes away (the writer task's body)."""
        queue = self._queue
        while True:
            frame = await queue.get()
            try:
                await self._sink.send(frame.text)
            except PeerGoneError:
                while not queue.empty():
                    queue.get_nowait()
                    queue.task_done()
                return
            finally:
                queue.task_done()
            self._meter.frame_sent(frame.kind)

    async def flushed(self) -> None:
        """Wait until the writer has sent (or, the peer gone, dropped) every queued frame."""
        await self._queue.join()
