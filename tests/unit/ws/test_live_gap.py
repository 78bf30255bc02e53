"""A gap in the bus's live feed (Redis pub/sub lost and regained): every subscription on this
instance gets `resync_required`, and resuming with the last event seen brings what went by."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from flowra_core.app.actor import Actor
from flowra_core.domain.events import EventEnvelope
from flowra_core.ports.event_bus import EventBus, EventHandler, LiveGapHandler
from flowra_entrypoints.ws.testing import MemorySocket
from flowra_entrypoints.ws.testing_kit import GatewayKit, KitFactory


class InterruptibleBus:
    """The core's bus as the gateway sees it: while `down`, live events are lost (as pub/sub
    loses them while disconnected); `resume()` brings the feed back and reports the gap."""

    def __init__(self, inner: EventBus) -> None:
        self.inner = inner
        self.down = False
        self._gap_handlers: list[LiveGapHandler] = []

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        await self.inner.publish(events)

    def subscribe(self, name: str, handler: EventHandler) -> None:
        self.inner.subscribe(name, handler)

    def listen(self, handler: EventHandler) -> None:
        async def unless_down(envelope: EventEnvelope) -> None:
            if not self.down:
                await handler(envelope)

        self.inner.listen(unless_down)

    def on_live_gap(self, handler: LiveGapHandler) -> None:
        self._gap_handlers.append(handler)

    async def resume(self) -> None:
        self.down = False
        for handler in self._gap_handlers:
            await handler()


@dataclass
class Setup:
    env: GatewayKit
    bus: InterruptibleBus
    olivia: Actor
    mia: Actor
    workspace_id: str
    launch: str
    budget: str


@pytest.fixture
async def setup(make_env: KitFactory) -> Setup:
    wrapped: list[InterruptibleBus] = []

    def interruptible(inner: EventBus) -> EventBus:
        wrapped.append(InterruptibleBus(inner))
        return wrapped[-1]

    env = await make_env(bus=interruptible)
    olivia, mia = await env.tc.user("olivia"), await env.tc.user("mia")
    workspace_id = await env.workspace(olivia, mia)
    launch = await env.chat(olivia, workspace_id, mia)
    budget = await env.chat(olivia, workspace_id, mia)
    return Setup(env, wrapped[0], olivia, mia, workspace_id, launch, budget)


async def subscribed(socket: MemorySocket, *chat_ids: str) -> None:
    for chat_id in chat_ids:
        socket.send_json({"type": "subscribe", "chat_id": chat_id, "id": f"s-{chat_id}"})
        await socket.frame("ack", ref=f"s-{chat_id}")


async def test_every_subscription_of_every_connection_is_asked_to_resync(setup: Setup) -> None:
    env = setup.env
    phone, laptop = await env.connect(setup.mia), await env.connect(setup.mia)
    idle = await env.connect(setup.olivia)
    await subscribed(phone, setup.launch, setup.budget)
    await subscribed(laptop, setup.launch)

    await setup.bus.resume()

    await env.settle(phone, laptop, idle)
    resyncs = {(f["chat_id"], f["reason"]) for f in phone.of_type("resync_required")}
    assert resyncs == {(setup.launch, "too_many"), (setup.budget, "too_many")}
    assert laptop.of_type("resync_required") == [
        {"type": "resync_required", "chat_id": setup.launch, "reason": "too_many"}
    ]
    assert idle.of_type("resync_required") == []


async def test_resuming_after_the_call_brings_what_the_gap_swallowed(setup: Setup) -> None:
    env = setup.env
    socket = await env.connect(setup.mia)
    await subscribed(socket, setup.launch)
    await env.post(setup.olivia, setup.workspace_id, setup.launch, "Before")
    before = await socket.frame("message.created")
    setup.bus.down = True
    await env.post(setup.olivia, setup.workspace_id, setup.launch, "During")
    await env.settle(socket)
    assert len(socket.of_type("message.created")) == 1

    await setup.bus.resume()
    resync = await socket.frame("resync_required")
    socket.send_json(
        {
            "type": "subscribe",
            "chat_id": resync["chat_id"],
            "last_event_id": before["event_id"],
            "id": "resume",
        }
    )

    ack = await socket.frame("ack", ref="resume")
    await socket.until(lambda: len(socket.of_type("message.created")) == 2)
    assert ack["replayed"] == 1
    assert [f["data"]["content"] for f in socket.of_type("message.created")] == [
        "Before",
        "During",
    ]


async def test_without_a_gap_nobody_is_asked_to_resync(setup: Setup) -> None:
    env = setup.env
    socket = await env.connect(setup.mia)
    await subscribed(socket, setup.launch)

    await env.post(setup.olivia, setup.workspace_id, setup.launch, "Hello")

    await socket.frame("message.created")
    await env.settle(socket)
    assert socket.of_type("resync_required") == []
