"""Presence (websocket.md §6): online with the first connection anywhere, offline once the last
one has closed and none reopened within `websocket.presence_grace`.

The instance holds a user in the shared PresenceRegistry while it has one of their connections
open or is in their grace period. The grace timer runs on an injected scheduler, so tests fire it
instead of sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from loguru import logger

from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.ports.clock import Clock
from flowra_core.ports.live import LiveChannel, PresencePush, PresenceRegistry, PresenceStatus
from flowra_core.ports.workspaces import WorkspaceStore


class Timer(Protocol):
    def cancel(self) -> None: ...


Scheduler = Callable[[float, Callable[[], Awaitable[None]]], Timer]


class AsyncioScheduler:
    """Runs a coroutine function after a delay on the running loop."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, delay: float, callback: Callable[[], Awaitable[None]]) -> Timer:
        return asyncio.get_running_loop().call_later(delay, self._spawn, callback)

    def _spawn(self, callback: Callable[[], Awaitable[None]]) -> None:
        async def run() -> None:
            await callback()

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class PresenceTracker:
    def __init__(
        self,
        registry: PresenceRegistry,
        live: LiveChannel,
        workspaces: WorkspaceStore,
        clock: Clock,
        *,
        grace: float,
        schedule: Scheduler,
    ) -> None:
        self._registry = registry
        self._live = live
        self._workspaces = workspaces
        self._clock = clock
        self._grace = grace
        self._schedule = schedule
        self._held: set[str] = set()
        self._pending: dict[str, tuple[int, Timer]] = {}
        self._generation = 0
        self._lock = asyncio.Lock()

    async def arrived(self, user_id: str) -> None:
        """The user's first connection on this instance opened."""
        async with self._lock:
            pending = self._pending.pop(user_id, None)
            if pending is not None:
                pending[1].cancel()  # back within the grace period: still online
                return
            if user_id in self._held:
                return
            self._held.add(user_id)
            try:
                came_online = await self._registry.hold(user_id)
            except ServiceUnavailable as error:
                _log_unavailable(user_id, "presence not recorded", error)
                return
            if came_online:
                await self.announce(user_id, PresenceStatus.ONLINE, self._clock.now())

    async def departed(self, user_id: str) -> None:
        """The user's last connection on this instance closed."""
        at = self._clock.now()
        async with self._lock:
            if user_id not in self._held or user_id in self._pending:
                return
            if self._grace <= 0:
                await self._release(user_id, at)
                return
            self._generation += 1
            generation = self._generation

            async def expire() -> None:
                await self._expire(user_id, generation, at)

            self._pending[user_id] = (generation, self._schedule(self._grace, expire))

    async def release_all(self) -> None:
        """Shutdown: let go of every user this instance holds, at once."""
        at = self._clock.now()
        async with self._lock:
            for _generation, timer in self._pending.values():
                timer.cancel()
            self._pending.clear()
            for user_id in list(self._held):
                await self._release(user_id, at)

    async def _expire(self, user_id: str, generation: int, at: datetime) -> None:
        async with self._lock:
            pending = self._pending.get(user_id)
            if pending is None or pending[0] != generation:
                return
            del self._pending[user_id]
            await self._release(user_id, at)

    async def _release(self, user_id: str, at: datetime) -> None:
        self._held.discard(user_id)
        try:
            went_offline = await self._registry.release(user_id, at)
        except ServiceUnavailable as error:
            _log_unavailable(user_id, "presence not recorded", error)
            return
        if went_offline:
            await self.announce(user_id, PresenceStatus.OFFLINE, at)

    async def announce(self, user_id: str, status: PresenceStatus, at: datetime) -> None:
        """Tell the users sharing a workspace with the user; also the handler for changes the
        shared registry finds itself (a dead instance's users going offline)."""
        workspace_ids = tuple(await self._workspaces.ids_of_member(user_id))
        push = PresencePush(
            user_id=user_id, status=status, last_seen_at=at, workspace_ids=workspace_ids
        )
        try:
            await self._live.publish(push)
        except ServiceUnavailable as error:
            _log_unavailable(user_id, "presence change not relayed", error)


def _log_unavailable(user_id: str, message: str, error: ServiceUnavailable) -> None:
    """Presence is best effort: a dependency outage is logged, never fails a connection."""
    logger.bind(logger="ws", user_id=user_id).warning(
        message, dependency=error.dependency, error=error.reason
    )
