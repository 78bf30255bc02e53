"""Client-side limits of websocket.md §2 and §7 that are counted in time windows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from flowra_entrypoints.settings.model import WebSocketSettings

Monotonic = Callable[[], float]
# Entries older than the interval are swept when the table grows past this many keys.
_THROTTLE_SWEEP_AT: Final = 10_000


class FrameRate:
    """At most `limit` client frames per one-second window; the RATE_LIMITED error that tells the
    client so goes out at most once a second."""

    __slots__ = ("_count", "_last_warning", "_limit", "_monotonic", "_window_start")

    def __init__(self, limit: int, monotonic: Monotonic) -> None:
        self._limit = limit
        self._monotonic = monotonic
        self._window_start = monotonic()
        self._count = 0
        self._last_warning: float | None = None

    def admit(self) -> bool:
        now = self._monotonic()
        if now - self._window_start >= 1.0:
            self._window_start = now
            self._count = 0
        self._count += 1
        return self._count <= self._limit

    def should_warn(self) -> bool:
        now = self._monotonic()
        if self._last_warning is not None and now - self._last_warning < 1.0:
            return False
        self._last_warning = now
        return True


class TypingThrottle:
    """At most one typing broadcast per (user, chat) per `interval` seconds, on this instance."""

    def __init__(self, interval: float, monotonic: Monotonic) -> None:
        self._interval = interval
        self._monotonic = monotonic
        self._last: dict[tuple[str, str], float] = {}

    def allow(self, user_id: str, chat_id: str) -> bool:
        now = self._monotonic()
        key = (user_id, chat_id)
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            return False
        self._last[key] = now
        if len(self._last) > _THROTTLE_SWEEP_AT:
            self._last = {k: t for k, t in self._last.items() if now - t < self._interval}
        return True


@dataclass(frozen=True, slots=True)
class GatewayLimits:
    """The `websocket.*` settings the gateway enforces itself (operations.md §2)."""

    ping_interval: float = 30.0
    max_frame_size: int = 64 * 1024
    send_queue_size: int = 256
    max_connections_per_user: int = 20
    resume_window: float = 24 * 3600.0
    # How long a close may wait for a peer that reads nothing before the connection is dropped.
    close_timeout: float = 5.0
    # Events and pushes waiting to be routed (not a setting); beyond this the newest are dropped
    # and, once the backlog has drained, every subscriber is asked to resync.
    inbox_size: int = 10_000

    @classmethod
    def from_settings(cls, settings: WebSocketSettings) -> GatewayLimits:
        return cls(
            ping_interval=settings.ping_interval,
            max_frame_size=settings.max_frame_size,
            send_queue_size=settings.send_queue_size,
            max_connections_per_user=settings.max_connections_per_user,
            resume_window=settings.resume_window,
        )
