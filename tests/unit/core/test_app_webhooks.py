"""Webhooks on the in-memory adapters: a committed event becomes one signed delivery per
endpoint that wants it, sent in journal order per chat, retried with back-off, parked (endpoint
failing) after the retry window, redelivered and requeued by hand; never dropped."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from datetime import timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.app.governance.services import Governance
from flowra_core.app.governance.webhook_delivery import WebhookDispatcher
from flowra_core.app.governance.webhooks import (
    ENDPOINTS_TTL,
    EndpointCache,
    WebhookEnqueuer,
    with_webhooks,
)
from flowra_core.domain.chat import NewChat
from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.webhooks import DeliveryStatus, EndpointStatus
from flowra_core.memory.tokens import in_memory_governance_ports
from flowra_core.memory.webhooks import InMemoryWebhookStore
from flowra_core.testing.builder import TestCore, build_test_core
from flowra_core.testing.webhooks import InMemoryWebhookReceiver

URL = "https://hooks.example/flowra"


class World:
    def __init__(self, flowra: TestCore, governance: Governance, receiver: InMemoryWebhookReceiver):
        self.flowra = flowra
        self.governance = governance
        self.receiver = receiver
        store = governance.ports.webhooks
        assert isinstance(store, InMemoryWebhookStore)
        self.store = store
        self.dispatcher = WebhookDispatcher(
            store, receiver, flowra.clock, batch_size=50, rng=random.Random(7)
        )


async def world(*answers: int | None) -> tuple[World, Actor, str, str]:
    ports = in_memory_governance_ports()
    flowra = await build_test_core(reactions=with_webhooks(ports.webhooks, ports.endpoint_cache))
    receiver = InMemoryWebhookReceiver(*answers)
    governance = Governance(flowra.core, ports, webhook_sender=receiver)
    alice = await flowra.user("alice")
    ws = await flowra.core.workspaces.create(alice, name="Team", description=None)
    chat = await flowra.core.chats.create(alice, ws.workspace.id, NewChat(type="task", title="T"))
    return World(flowra, governance, receiver), alice, ws.workspace.id, chat.chat.id


def verify(secret: str, header: str, body: bytes) -> bool:
    parts = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(parts["v1"], expected.hexdigest())


async def test_messages_are_delivered_signed_and_in_order() -> None:
    w, alice, ws, chat = await world()
    endpoint = await w.governance.webhooks.create(alice, ws, url=URL, events=["message.created"])
    w.flowra.clock.advance(ENDPOINTS_TTL)  # every instance sees the new endpoint
    for text in ("one", "two", "three"):
        await w.flowra.core.messages.send(alice, ws, chat, content=text)
    report = await w.dispatcher.run_once()
    assert [outcome for outcome, _ in report.outcomes] == ["delivered"] * 3
    bodies = [json.loads(body) for _, body, _ in w.receiver.requests]
    assert [b["resource"]["data"]["content"] for b in bodies] == ["one", "two", "three"]
    for (_, body, headers), parsed in zip(w.receiver.requests, bodies, strict=True):
        assert verify(endpoint.secret, headers["Flowra-Signature"], body)
        assert headers["Flowra-Event-Id"] == parsed["event_id"]
        assert (parsed["type"], parsed["workspace_id"]) == ("message.created", ws)
    assert await w.dispatcher.run_once() == type(report)()  # nothing left


async def test_a_failure_is_retried_with_the_same_event_id_and_blocks_later_ones() -> None:
    w, alice, ws, chat = await world(500)
    await w.governance.webhooks.create(alice, ws, url=URL, events=["message.created"])
    w.flowra.clock.advance(ENDPOINTS_TTL)  # every instance sees the new endpoint
    await w.flowra.core.messages.send(alice, ws, chat, content="one")
    await w.flowra.core.messages.send(alice, ws, chat, content="two")
    first = await w.dispatcher.run_once()
    assert [o for o, _ in first.outcomes] == ["failed"]  # "two" waits behind "one"
    assert await w.dispatcher.run_once() == type(first)()  # not due yet
    w.flowra.clock.advance(timedelta(seconds=13))
    second = await w.dispatcher.run_once()
    assert [o for o, _ in second.outcomes] == ["delivered", "delivered"]
    ids = [headers["Flowra-Event-Id"] for _, _, headers in w.receiver.requests]
    assert ids[0] == ids[1] != ids[2]


async def test_after_the_retry_window_the_delivery_is_parked_and_the_endpoint_failing() -> None:
    w, alice, ws, chat = await world(*([None] * 40))
    endpoint = await w.governance.webhooks.create(alice, ws, url=URL, events=["message.created"])
    w.flowra.clock.advance(ENDPOINTS_TTL)  # every instance sees the new endpoint
    await w.flowra.core.messages.send(alice, ws, chat, content="one")
    for _ in range(40):
        await w.dispatcher.run_once()
        w.flowra.clock.advance(timedelta(hours=1, minutes=15))
    stored = await w.governance.webhooks.get(alice, ws, endpoint.id)
    assert stored.status is EndpointStatus.FAILING
    page = await w.governance.webhooks.deliveries(alice, ws, endpoint.id, limit=None, cursor=None)
    [parked] = page.items
    assert parked.status is DeliveryStatus.PARKED
    assert parked.attempts > 10

    await w.flowra.core.messages.send(alice, ws, chat, content="two")  # parked at once
    w.receiver.script()  # the receiver is back
    await w.governance.webhooks.update(
        alice, ws, endpoint.id, url=None, events=None, reactivate=True
    )
    report = await w.dispatcher.run_once()
    assert [o for o, _ in report.outcomes] == ["delivered", "delivered"]


async def test_redeliver_sends_a_delivered_event_again() -> None:
    w, alice, ws, chat = await world()
    endpoint = await w.governance.webhooks.create(alice, ws, url=URL, events=["message.created"])
    w.flowra.clock.advance(ENDPOINTS_TTL)  # every instance sees the new endpoint
    await w.flowra.core.messages.send(alice, ws, chat, content="one")
    await w.dispatcher.run_once()
    [delivery] = (
        await w.governance.webhooks.deliveries(alice, ws, endpoint.id, limit=None, cursor=None)
    ).items
    assert delivery.status is DeliveryStatus.DELIVERED
    await w.governance.webhooks.redeliver(alice, ws, endpoint.id, delivery.id)
    await w.dispatcher.run_once()
    assert len(w.receiver.requests) == 2
    assert w.receiver.requests[0][1] == w.receiver.requests[1][1]


async def test_only_wanted_events_of_live_endpoints_are_enqueued() -> None:
    w, alice, ws, chat = await world()
    wants_chats = await w.governance.webhooks.create(alice, ws, url=URL, events=["chat.renamed"])
    gone = await w.governance.webhooks.create(alice, ws, url=URL, events=["message.created"])
    await w.governance.webhooks.delete(alice, ws, gone.id)
    await w.flowra.core.messages.send(alice, ws, chat, content="one")
    assert await w.dispatcher.run_once() == type(await w.dispatcher.run_once())()
    assert wants_chats.events == ("chat.renamed",)


async def test_registration_checks_rights_url_and_events() -> None:
    w, alice, ws, _ = await world()
    bob = await w.flowra.user("bob")
    with pytest.raises(DomainError) as refused:
        await w.governance.webhooks.create(bob, ws, url=URL, events=["message.created"])
    assert refused.value.code is ErrorCode.WORKSPACE_NOT_FOUND
    w.receiver.refused_hosts.add("10.0.0.1")
    with pytest.raises(ValidationFailed) as invalid:
        await w.governance.webhooks.create(
            alice, ws, url="https://10.0.0.1/x", events=["message.created"]
        )
    assert invalid.value.errors[0].field == "url"
    for events in ([], ["notification.created"], ["nope"]):
        with pytest.raises(ValidationFailed) as invalid:
            await w.governance.webhooks.create(alice, ws, url=URL, events=events)
        assert invalid.value.errors[0].field == "events"


async def test_a_change_through_this_process_applies_to_its_very_next_commit() -> None:
    w, alice, ws, chat = await world()
    await w.flowra.core.messages.send(alice, ws, chat, content="before")  # caches "none"
    endpoint = await w.governance.webhooks.create(alice, ws, url=URL, events=["message.created"])
    await w.flowra.core.messages.send(alice, ws, chat, content="after")  # no clock advance
    report = await w.dispatcher.run_once()
    assert [o for o, _ in report.outcomes] == ["delivered"]
    await w.governance.webhooks.update(
        alice, ws, endpoint.id, url=None, events=["message.edited"], reactivate=False
    )
    await w.flowra.core.messages.send(alice, ws, chat, content="filtered out")
    assert await w.dispatcher.run_once() == type(report)()


async def test_a_disabled_endpoint_gets_nothing_new_and_parks_what_was_queued() -> None:
    w, alice, ws, chat = await world()
    endpoint = await w.governance.webhooks.create(alice, ws, url=URL, events=["message.created"])
    await w.flowra.core.messages.send(alice, ws, chat, content="queued")
    paused = await w.governance.webhooks.update(
        alice, ws, endpoint.id, url=None, events=None, reactivate=False, enabled=False
    )
    assert paused.status is EndpointStatus.DISABLED
    await w.flowra.core.messages.send(alice, ws, chat, content="while paused")
    report = await w.dispatcher.run_once()
    assert [o for o, _ in report.outcomes] == ["parked"]
    assert w.receiver.requests == []
    page = await w.governance.webhooks.deliveries(alice, ws, endpoint.id, limit=None, cursor=None)
    assert [d.status for d in page.items] == [DeliveryStatus.PARKED]  # kept, not dropped
    await w.governance.webhooks.update(
        alice, ws, endpoint.id, url=None, events=None, reactivate=False, enabled=True
    )
    resumed = await w.dispatcher.run_once()
    assert [o for o, _ in resumed.outcomes] == ["delivered"]


async def test_a_delete_stops_deliveries_already_queued_by_a_stale_cache() -> None:
    """Another instance may still hold the endpoint in its cache (ENDPOINTS_TTL) and queue a
    delivery for it: the sender reads the endpoint by `_id` and parks it, nothing is sent."""
    w, alice, ws, chat = await world()
    endpoint = await w.governance.webhooks.create(alice, ws, url=URL, events=["message.created"])
    await w.flowra.core.messages.send(alice, ws, chat, content="one")
    await w.governance.webhooks.delete(alice, ws, endpoint.id)
    report = await w.dispatcher.run_once()
    assert [o for o, _ in report.outcomes] == ["parked"]
    assert w.receiver.requests == []


async def test_two_instances_sharing_the_store() -> None:
    """Instance B enqueues with its own cache of endpoints, read before A's changes: a delete,
    a pause or a narrower filter made on A still applies to B's very next commit, at send time
    (the endpoint is read by `_id`; the delivery is parked, kept, not sent). A new endpoint
    reaches B's own commits once B's entry expires (ENDPOINTS_TTL)."""
    w, alice, ws, chat = await world()
    journal = w.flowra.adapters.event_store
    b = WebhookEnqueuer(w.store, w.flowra.clock, EndpointCache())
    hooks = w.governance.webhooks
    ids = [
        (await hooks.create(alice, ws, url=URL, events=["message.created"])).id for _ in range(4)
    ]
    kept, paused, narrowed, gone = ids
    await w.flowra.core.messages.send(alice, ws, chat, content="warm")
    await b.enqueue(journal.appended()[-1])  # B caches the four endpoints
    await w.dispatcher.run_once()
    w.receiver.requests.clear()

    await hooks.update(alice, ws, paused, url=None, events=None, reactivate=False, enabled=False)
    await hooks.update(alice, ws, narrowed, url=None, events=["message.edited"], reactivate=False)
    await hooks.delete(alice, ws, gone)
    late = (await hooks.create(alice, ws, url=URL, events=["message.created"])).id
    w.flowra.clock.advance(timedelta(seconds=1))  # within B's TTL; orders the log by time
    await w.flowra.core.messages.send(alice, ws, chat, content="after the changes")
    await b.enqueue(journal.appended()[-1])  # B, stale: the four old endpoints
    report = await w.dispatcher.run_once()
    assert sorted(o for o, _ in report.outcomes) == ["delivered"] * 2 + ["parked"] * 3
    assert len(w.receiver.requests) == 2  # to `kept`, and to `late` (enqueued by A)
    for endpoint_id, status in (
        (paused, "parked"),
        (narrowed, "parked"),
        (kept, "delivered"),
        (late, "delivered"),
    ):
        page = await hooks.deliveries(alice, ws, endpoint_id, limit=None, cursor=None)
        assert page.items[0].status == status

    w.flowra.clock.advance(ENDPOINTS_TTL)  # B's entry expires: it reads the endpoints again
    await w.flowra.core.messages.send(alice, ws, chat, content="later")
    await b.enqueue(journal.appended()[-1])
    report = await w.dispatcher.run_once()
    assert sorted(o for o, _ in report.outcomes) == ["delivered"] * 2  # `kept` and `late`
