"""The gateway's inbox: events and pushes waiting to be routed, in arrival order.

It holds at most `size` items. Beyond that routing has fallen far behind and the newest are
dropped; an overflow episode lasts from the first drop until the backlog has drained, when
the gateway asks every subscriber to resync, once per episode (as after a gap in the feed).
"""

from __future__ import annotations

import asyncio

from loguru import logger

from flowra_core.domain.events import EventEnvelope
from flowra_core.ports.live import LivePush

InboxItem = EventEnvelope | LivePush


class Inbox:
    def __init__(self, size: int) -> None:
        self.size = size
        self._queue: asyncio.Queue[InboxItem] = asyncio.Queue(size)
        self._dropped = 0

    def is_full(self) -> bool:
        return self._queue.full()

    def offer(self, item: InboxItem) -> bool:
        """Queue the item; False when the inbox is full and it was dropped."""
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            if self._dropped == 0:
                logger.bind(logger="ws").warning(
                    "routing backlog full; dropping events and pushes until it drains",
                    limit=self.size,
                )
            self._dropped += 1
            return False
        return True

    async def get(self) -> InboxItem:
        return await self._queue.get()

    def overflow_ended(self) -> int:
        """After routing an item: how many items the overflow episode that ends now dropped
        (the backlog has drained), else 0. Called once, it ends the episode."""
        if not self._dropped or not self._queue.empty():
            return 0
        dropped, self._dropped = self._dropped, 0
        return dropped

    def task_done(self) -> None:
        self._queue.task_done()

    async def join(self) -> None:
        """Wait until every item queued so far has been routed."""
        await self._queue.join()
