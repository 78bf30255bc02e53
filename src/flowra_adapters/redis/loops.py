"""Background loops of the Redis adapters: cooperative stop, back-off while Redis is away."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """Wait `initial_seconds` after the first failure, doubling up to `max_seconds`."""

    initial_seconds: float = 0.5
    max_seconds: float = 30.0


class Backoff:
    def __init__(self, policy: BackoffPolicy) -> None:
        self._policy = policy
        self._delay = policy.initial_seconds

    def reset(self) -> None:
        self._delay = self._policy.initial_seconds

    async def pause(self, stopping: asyncio.Event) -> None:
        """Wait the current delay (less if `stopping` is set meanwhile), then double it."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), self._delay)
        self._delay = min(self._delay * 2, self._policy.max_seconds)


async def wait_or_stop(stopping: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less if `stopping` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)


LoopBody = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class BackgroundLoops:
    """Long-running loops started on the running event loop. Each loop is given the `stopping`
    event and returns once it is set; `stop` waits `grace_seconds` for that, then cancels what
    is left."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    @property
    def running(self) -> bool:
        return bool(self._tasks)

    def spawn(self, body: LoopBody, label: str) -> None:
        task = asyncio.get_running_loop().create_task(
            body(self._stopping), name=f"{self._name}:{label}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    async def stop(self, grace_seconds: float) -> None:
        self._stopping.set()
        tasks = set(self._tasks)
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._stopping = asyncio.Event()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            _log.error("%s ended unexpectedly", task.get_name(), exc_info=error)
