"""Names and tunables of the Redis event bus.

Every event goes to ONE stream, `<prefix>stream`, whatever its type: a durable consumer sees all
types, and the events of an aggregate stay in the order they were published (per-type streams
would let `chat.created` and `chat.status_changed` of one chat overtake each other). The same
bytes go to the pub/sub channel `<prefix><event type>` for live fan-out; entries that a consumer
group gave up on move to `<prefix>dead`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flowra_adapters.redis.loops import BackoffPolicy

DEFAULT_CHANNEL_PREFIX = "events."
ENVELOPE_FIELD = b"envelope"
EPHEMERAL_CHANNEL = "ws.ephemeral"


@dataclass(frozen=True, slots=True)
class BusKeys:
    """`prefix` is `eventbus.redis_channel_prefix`."""

    prefix: str = DEFAULT_CHANNEL_PREFIX

    @property
    def stream(self) -> str:
        return f"{self.prefix}stream"

    @property
    def dead_letters(self) -> str:
        return f"{self.prefix}dead"

    @property
    def live_pattern(self) -> str:
        """Matches every event channel, and the ephemeral channel, which listeners skip."""
        return f"{self.prefix}*"

    @property
    def ephemeral_channel(self) -> str:
        """Typing and presence pushes (websocket.md §9)."""
        return f"{self.prefix}{EPHEMERAL_CHANNEL}"

    def channel(self, event_type: str) -> str:
        return f"{self.prefix}{event_type}"


@dataclass(frozen=True, slots=True)
class BusOptions:
    max_length: int = 100_000
    """Both streams are trimmed to about this many entries (XADD MAXLEN ~). An entry trimmed
    before a group handled it is lost to that group (logged); the worker's dispatch sweep covers
    it. Size it for the longest consumer outage to ride out."""

    batch_size: int = 100
    """Entries read or reclaimed per round trip."""

    block_seconds: float = 1.0
    """How long one XREADGROUP waits for new entries; must be shorter than the client's socket
    timeout. It also bounds how long `stop` waits for an idle consumer."""

    claim_idle_seconds: float = 30.0
    """An entry delivered this long ago and not acknowledged is redelivered: its consumer failed
    on it or died. It must exceed the longest a handler may take."""

    reclaim_interval_seconds: float = 5.0
    """How often a consumer looks for such entries (XAUTOCLAIM)."""

    max_deliveries: int = 5
    """An entry whose handler failed on its last allowed delivery goes to the dead letters."""

    consumer_expiry_seconds: float = 3600.0
    """Consumers of past processes, idle this long with nothing pending, are removed from the
    group (each process joins under a new consumer id)."""

    stop_timeout_seconds: float = 5.0
    """`stop` lets the loops finish their current batch for this long, then cancels them."""

    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    """Waiting between attempts while Redis is unreachable."""
