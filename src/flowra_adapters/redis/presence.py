"""Presence shared by every instance (websocket.md §6): the gateway's PresenceRegistry (hold and
release) and the core's PresenceReader (online, last_seen) on one Redis registry.

A user is online while a live instance holds them. Each instance keeps its own holdings in
memory too and, every `refresh_interval_seconds`, rewrites them in Redis and renews its
heartbeat (which expires after `heartbeat_ttl_seconds`); then it purges the instances whose
heartbeat expired. Users that changed state through a refresh or a purge (an instance died, or
one that had been purged came back) are reported to the `on_change` handler given to `start`,
which announces them. Layout and atomicity: presence_scripts.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis
from redis.typing import EncodableT

from flowra_adapters.redis import presence_scripts as scripts
from flowra_adapters.redis.client import new_instance_id
from flowra_adapters.redis.errors import OperationHook, guarded, ignore_operation
from flowra_adapters.redis.loops import BackgroundLoops, wait_or_stop
from flowra_core.domain.datetimes import format_timestamp, parse_timestamp
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.ports.clock import Clock
from flowra_core.ports.live import PresenceStatus

_log = logging.getLogger(__name__)

KEY_PREFIX = "flowra:"
STOP_TIMEOUT_SECONDS = 2.0

PresenceChangeHandler = Callable[[str, PresenceStatus, datetime], Awaitable[None]]
"""`(user_id, status, at)` for a change found by the refresh loop."""


@dataclass(frozen=True, slots=True)
class PresenceTimings:
    heartbeat_ttl_seconds: float = 45.0
    refresh_interval_seconds: float = 15.0


@dataclass(frozen=True, slots=True)
class PresenceChanges:
    came_online: tuple[str, ...] = ()
    went_offline: tuple[str, ...] = ()


class RedisPresence:
    def __init__(
        self,
        client: Redis,
        clock: Clock,
        *,
        instance_id: str | None = None,
        key_prefix: str = KEY_PREFIX,
        timings: PresenceTimings | None = None,
        on_operation: OperationHook = ignore_operation,
    ) -> None:
        self._client = client
        self._clock = clock
        self._instance_id = instance_id or new_instance_id()
        self._prefix = key_prefix
        self._timings = timings or PresenceTimings()
        self._on_operation = on_operation
        self._held: Counter[str] = Counter()
        # Holds, releases and refreshes of this instance never interleave, so a refresh never
        # rewrites the holdings between a hold's local count and its Redis count.
        self._serial = asyncio.Lock()
        self._hold = client.register_script(scripts.HOLD)
        self._release = client.register_script(scripts.RELEASE)
        self._refresh = client.register_script(scripts.REFRESH)
        self._purge = client.register_script(scripts.PURGE)
        self._online = client.register_script(scripts.ONLINE)
        self._loops = BackgroundLoops("redis-presence")
        self._on_change: PresenceChangeHandler | None = None

    @property
    def instance_id(self) -> str:
        return self._instance_id

    @property
    def heartbeat_key(self) -> str:
        return f"{self._prefix}instance:{self._instance_id}"

    async def hold(self, user_id: str) -> bool:
        async with self._serial:
            self._held[user_id] += 1  # the intent counts: a refresh repairs a failed call
            args: list[EncodableT] = [self._prefix, self._instance_id, self._ttl_ms, user_id]
            with guarded("presence.hold", self._on_operation):
                came = await self._hold(args=args)
        return bool(came)

    async def release(self, user_id: str, at: datetime) -> bool:
        async with self._serial:
            self._held[user_id] -= 1
            if self._held[user_id] <= 0:
                del self._held[user_id]
            args = [self._prefix, self._instance_id, user_id, format_timestamp(at)]
            with guarded("presence.release", self._on_operation):
                went = await self._release(args=args)
        return bool(went)

    async def online(self, user_ids: Collection[str]) -> set[str]:
        if not user_ids:
            return set()
        with guarded("presence.online", self._on_operation):
            held = await self._online(args=[self._prefix, *user_ids])
        return {_text(user_id) for user_id in held}

    async def last_seen(self, user_ids: Collection[str]) -> dict[str, datetime]:
        wanted = list(user_ids)
        if not wanted:
            return {}
        with guarded("presence.last_seen", self._on_operation):
            seen = await self._client.hmget(f"{self._prefix}presence:last_seen", wanted)
        return {
            user_id: parse_timestamp(_text(at))
            for user_id, at in zip(wanted, seen, strict=True)
            if at is not None
        }

    async def refresh(self) -> PresenceChanges:
        """Rewrite this instance's holdings and renew its heartbeat."""
        async with self._serial:
            holdings = [part for user, count in self._held.items() for part in (user, count)]
            args: list[EncodableT] = [
                self._prefix,
                self._instance_id,
                self._ttl_ms,
                self._now_text(),
                *holdings,
            ]
            with guarded("presence.refresh", self._on_operation):
                came, gone = await self._refresh(args=args)
        return PresenceChanges(_texts(came), _texts(gone))

    async def purge_dead_instances(self) -> tuple[str, ...]:
        """Unregister the instances whose heartbeat expired; the users that went offline."""
        return await self._purge_instances(target="")

    def start(self, on_change: PresenceChangeHandler) -> None:
        """Refresh and purge now and every `refresh_interval_seconds`, on the running loop."""
        if self._loops.running:
            return
        self._on_change = on_change
        self._loops.spawn(self._watch, "refresh")

    async def stop(self) -> None:
        """Stop refreshing and unregister this instance; users only it held go offline (and
        are reported). If Redis is away, the others purge it once its heartbeat expires."""
        await self._loops.stop(STOP_TIMEOUT_SECONDS)
        self._held.clear()
        try:
            gone = await self._purge_instances(target=self._instance_id)
        except ServiceUnavailable as error:
            _log.warning("presence of instance %s not withdrawn: %s", self._instance_id, error)
            return
        await self._report(PresenceChanges(went_offline=gone))

    async def _purge_instances(self, *, target: str) -> tuple[str, ...]:
        args = [self._prefix, self._instance_id, self._now_text(), target]
        with guarded("presence.purge", self._on_operation):
            gone = await self._purge(args=args)
        return _texts(gone)

    async def _watch(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                changes = await self.refresh()
                gone = await self.purge_dead_instances()
            except ServiceUnavailable as error:
                _log.warning("presence refresh failed: %s", error.reason)
            else:
                await self._report(
                    PresenceChanges(changes.came_online, changes.went_offline + gone)
                )
            await wait_or_stop(stopping, self._timings.refresh_interval_seconds)

    async def _report(self, changes: PresenceChanges) -> None:
        handler = self._on_change
        if handler is None:
            return
        at = self._clock.now()
        updates = [(user, PresenceStatus.ONLINE) for user in changes.came_online] + [
            (user, PresenceStatus.OFFLINE) for user in changes.went_offline
        ]
        for user_id, status in updates:
            try:
                await handler(user_id, status, at)
            except Exception:  # noqa: BLE001 - one failed announcement must not stop the others
                _log.exception("presence change of %s not announced", user_id)

    @property
    def _ttl_ms(self) -> int:
        return max(1, round(self._timings.heartbeat_ttl_seconds * 1000))

    def _now_text(self) -> str:
        return format_timestamp(self._clock.now())


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _texts(values: list[bytes | str]) -> tuple[str, ...]:
    return tuple(sorted(_text(value) for value in values))
