"""Redis away: every adapter call fails fast with ServiceUnavailable("redis") and is counted as an
error; the bus's consumer and listener loops ride out a Redis restart (a second redis-server,
started, killed and started again by the test) and carry on by themselves."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from flowra_adapters.redis import (
    BusKeys,
    OperationHook,
    RedisEphemeralStore,
    RedisEventBus,
    RedisLiveChannel,
    RedisPresence,
    RedisRateLimiter,
    create_redis_client,
)
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.domain.events import EventEnvelope
from flowra_core.ports.live import TypingPush
from flowra_core.testing.clock import FixedClock

from .contracts.redis_backends import FAST_BUS, envelope, eventually, fresh_prefix

pytestmark = pytest.mark.integration

TIMEOUT_S = 0.3
# A refused connection fails at once; the rest is slack for a loaded machine.
DEADLINE_S = 2.0
Outcomes = list[tuple[str, str]]


def free_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def outcomes() -> Outcomes:
    return []


@pytest.fixture
async def unreachable() -> AsyncIterator[Redis]:
    client = create_redis_client(
        f"127.0.0.1:{free_port()}", password="", db=0, pool_size=2, timeout=TIMEOUT_S
    )
    try:
        yield client
    finally:
        await client.aclose()


Call = Callable[[Redis, OperationHook], Awaitable[object]]

CALLS: dict[str, Call] = {
    "bus publish": lambda r, hook: RedisEventBus(
        r, options=dataclasses.replace(FAST_BUS, block_seconds=0.1), on_operation=hook
    ).publish([envelope(1)]),
    "bus dead letters": lambda r, hook: RedisEventBus(
        r, options=dataclasses.replace(FAST_BUS, block_seconds=0.1), on_operation=hook
    ).dead_letter_count(),
    "ephemeral put": lambda r, hook: RedisEphemeralStore(r, on_operation=hook).put("k", b"v", 5),
    "ephemeral take": lambda r, hook: RedisEphemeralStore(r, on_operation=hook).take("k"),
    "rate limit": lambda r, hook: RedisRateLimiter(r, FixedClock(), on_operation=hook).hit(
        "user", "u1", limit=5, window_seconds=60
    ),
    "live publish": lambda r, hook: RedisLiveChannel(r, on_operation=hook).publish(
        TypingPush(chat_id="c1", user_id="u1")
    ),
    "presence hold": lambda r, hook: RedisPresence(r, FixedClock(), on_operation=hook).hold("u1"),
    "presence online": lambda r, hook: RedisPresence(r, FixedClock(), on_operation=hook).online(
        ["u1"]
    ),
    "presence last seen": lambda r, hook: RedisPresence(
        r, FixedClock(), on_operation=hook
    ).last_seen(["u1"]),
}


@pytest.mark.parametrize("call", list(CALLS.values()), ids=list(CALLS))
async def test_each_adapter_call_fails_fast_as_service_unavailable(
    unreachable: Redis, outcomes: Outcomes, call: Call
) -> None:
    started = time.monotonic()

    with pytest.raises(ServiceUnavailable) as raised:
        await call(unreachable, lambda operation, outcome: outcomes.append((operation, outcome)))

    assert time.monotonic() - started < DEADLINE_S
    assert raised.value.dependency == "redis"
    assert len(outcomes) == 1
    assert outcomes[0][1] == "error"


class RedisServer:
    """A throwaway redis-server without persistence: a restart starts it empty."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server not found (start the test servers: scripts/services.sh up)")
        self.binary = binary
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            self.binary,
            *("--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await eventually(self._answers, what=f"redis-server on {self.port} answers")

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def _answers(self) -> bool:
        probe = Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.2)
        try:
            return bool(await probe.ping())
        except (RedisError, OSError):
            return False
        finally:
            await probe.aclose()


@pytest.fixture
async def server() -> AsyncIterator[RedisServer]:
    redis_server = RedisServer()
    await redis_server.start()
    try:
        yield redis_server
    finally:
        await redis_server.kill()


class Collector:
    def __init__(self) -> None:
        self.ids: list[str] = []

    async def __call__(self, received: EventEnvelope) -> None:
        self.ids.append(received.event_id)


async def test_consumers_and_listeners_carry_on_after_a_redis_restart(
    server: RedisServer,
) -> None:
    client = create_redis_client(server.addr, password="", db=0, pool_size=10, timeout=1.0)
    bus = RedisEventBus(client, keys=BusKeys(fresh_prefix("restart")), options=FAST_BUS)
    consumed, heard = Collector(), Collector()
    bus.subscribe("dispatch", consumed)
    bus.listen(heard)
    bus.start()
    try:
        await eventually(lambda: bus.is_listening, what="subscribed")
        await bus.publish([envelope(1)])
        await eventually(lambda: "u1-e1" in consumed.ids and "u1-e1" in heard.ids, what="e1")

        await server.kill()

        with pytest.raises(ServiceUnavailable):
            await bus.publish([envelope(2)])
        await eventually(lambda: not bus.is_listening, what="subscription lost")

        await server.start()  # empty: the stream and the consumer group are gone

        await eventually(lambda: bus.is_listening, what="subscribed again")
        await bus.publish([envelope(3)])
        await eventually(lambda: "u1-e3" in consumed.ids and "u1-e3" in heard.ids, what="e3")
        assert consumed.ids == ["u1-e1", "u1-e3"]
        assert heard.ids == ["u1-e1", "u1-e3"]
    finally:
        await bus.stop()
        await client.aclose()
