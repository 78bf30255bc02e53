"""When routing falls so far behind that the gateway's inbox overflows, the newest events and
pushes are dropped; once the backlog has drained, every subscription gets `resync_required`
(once per overflow episode, not per dropped item) and a log line counts what was dropped. A
session end that finds the inbox full closes its connections at once instead."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from loguru import logger

from flowra_core.app.actor import Actor
from flowra_core.ports.live import SessionEndedPush, TypingPush
from flowra_entrypoints.ws.limits import GatewayLimits
from flowra_entrypoints.ws.testing import MemorySocket
from flowra_entrypoints.ws.testing_kit import GatewayKit, KitFactory

INBOX_SIZE = 4


@dataclass
class Setup:
    env: GatewayKit
    olivia: Actor
    mia: Actor
    launch: str
    budget: str


@pytest.fixture
async def setup(make_env: KitFactory) -> Setup:
    env = await make_env(limits=GatewayLimits(inbox_size=INBOX_SIZE))
    olivia, mia = await env.tc.user("olivia"), await env.tc.user("mia")
    workspace_id = await env.workspace(olivia, mia)
    launch = await env.chat(olivia, workspace_id, mia)
    budget = await env.chat(olivia, workspace_id, mia)
    return Setup(env, olivia, mia, launch, budget)


@pytest.fixture
def warnings() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    records: list[tuple[str, dict[str, Any]]] = []

    def keep(message: Any) -> None:
        records.append((message.record["message"], dict(message.record["extra"])))

    sink = logger.add(keep, level="WARNING")
    yield records
    logger.remove(sink)


async def subscribed(socket: MemorySocket, *chat_ids: str) -> None:
    for chat_id in chat_ids:
        socket.send_json({"type": "subscribe", "chat_id": chat_id, "id": f"s-{chat_id}"})
        await socket.frame("ack", ref=f"s-{chat_id}")


async def burst(setup: Setup, count: int) -> None:
    """`count` typing pushes of Olivia's in the launch chat, handed to the gateway without
    letting it route any of them in between (the in-memory channel calls it inline)."""
    for _ in range(count):
        await setup.env.live.publish(TypingPush(chat_id=setup.launch, user_id=setup.olivia.user_id))


async def test_after_an_overflow_every_subscription_is_asked_to_resync_once_drained(
    setup: Setup, warnings: list[tuple[str, dict[str, Any]]]
) -> None:
    env = setup.env
    phone = await env.connect(setup.mia)
    idle = await env.connect(setup.olivia)
    await subscribed(phone, setup.launch, setup.budget)
    warnings.clear()  # building the workspace overflowed this small inbox too

    await burst(setup, INBOX_SIZE + 6)

    await env.settle(phone, idle)
    kinds = [kind for kind in phone.types() if kind in ("typing", "resync_required")]
    assert kinds == ["typing"] * INBOX_SIZE + ["resync_required"] * 2
    resyncs = {(f["chat_id"], f["reason"]) for f in phone.of_type("resync_required")}
    assert resyncs == {(setup.launch, "too_many"), (setup.budget, "too_many")}
    assert idle.of_type("resync_required") == []
    drained = [extra for message, extra in warnings if "drained after an overflow" in message]
    assert drained == [{"logger": "ws", "dropped": 6, "subscriptions": 2}]


async def test_each_overflow_episode_asks_once_and_a_full_but_not_overflowing_inbox_never(
    setup: Setup,
) -> None:
    env = setup.env
    phone = await env.connect(setup.mia)
    await subscribed(phone, setup.launch)

    await burst(setup, INBOX_SIZE)
    await env.settle(phone)
    assert phone.of_type("resync_required") == []

    await burst(setup, INBOX_SIZE + 20)
    await env.settle(phone)
    assert len(phone.of_type("resync_required")) == 1

    await burst(setup, INBOX_SIZE + 1)
    await env.settle(phone)
    assert len(phone.of_type("resync_required")) == 2
    assert len(phone.of_type("typing")) == 3 * INBOX_SIZE


async def test_a_session_end_that_finds_the_inbox_full_closes_its_connections_at_once(
    setup: Setup,
) -> None:
    env = setup.env
    issued = await env.tickets.issue(setup.mia.user_id, session_id="session-1")
    ended = env.open(MemorySocket(query={"ticket": issued.ticket}))
    await ended.frame("connected")
    phone = await env.connect(setup.mia)
    await subscribed(phone, setup.launch)

    await burst(setup, INBOX_SIZE)
    await env.live.publish(SessionEndedPush(session_id="session-1"))

    await ended.closed()
    assert ended.close_code == 4401
    await env.settle(phone)
    assert len(phone.of_type("typing")) == INBOX_SIZE
    assert phone.of_type("resync_required") == []
