"""subscribe with `last_event_id` (websocket.md §5): replay in order after the ack, or
`resync_required`; live events that arrive meanwhile come after the replay, once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.app.actor import Actor
from flowra_core.domain.events import AggregateType, EventEnvelope
from flowra_core.domain.message.events import MessageReactionAdded
from flowra_core.memory.event_store import InMemoryEventStore
from flowra_core.ports.event_store import Commit, EventStore, JournalPosition
from flowra_entrypoints.ws.frames import ResyncReason
from flowra_entrypoints.ws.limits import GatewayLimits
from flowra_entrypoints.ws.resume import MAX_REPLAYED_EVENTS, missed_events
from flowra_entrypoints.ws.testing import Frame, MemorySocket
from flowra_entrypoints.ws.testing_kit import GatewayKit, KitFactory


@dataclass
class Room:
    olivia: Actor
    mia: Actor
    workspace_id: str
    chat_id: str


@pytest.fixture
async def room(env: GatewayKit) -> Room:
    olivia, mia = await env.tc.user("olivia"), await env.tc.user("mia")
    workspace_id = await env.workspace(olivia, mia)
    return Room(olivia, mia, workspace_id, await env.chat(olivia, workspace_id, mia))


def chat_event_ids(env: GatewayKit, chat_id: str) -> list[str]:
    return [e.event_id for e in env.tc.adapters.event_store.all_events() if e.chat_id == chat_id]


async def resume(socket: MemorySocket, chat_id: str, last_event_id: str) -> dict[str, object]:
    socket.send_json(
        {"type": "subscribe", "chat_id": chat_id, "last_event_id": last_event_id, "id": "re"}
    )
    return await socket.frame("ack", ref="re")


def after_ack(socket: MemorySocket) -> list[Frame]:
    index = next(i for i, f in enumerate(socket.frames) if f.get("ref") == "re")
    return socket.frames[index + 1 :]


class TestReplay:
    async def test_missed_events_follow_the_ack_in_order(self, env: GatewayKit, room: Room) -> None:
        await env.post(room.olivia, room.workspace_id, room.chat_id, "Seen")
        last_seen = chat_event_ids(env, room.chat_id)[-1]
        await env.post(room.olivia, room.workspace_id, room.chat_id, "Missed one")
        await env.post(room.olivia, room.workspace_id, room.chat_id, "Missed two")
        socket = await env.connect(room.mia)
        ack = await resume(socket, room.chat_id, last_seen)
        assert ack["replayed"] == 2
        await env.post(room.olivia, room.workspace_id, room.chat_id, "Live")
        await socket.until(lambda: len(socket.of_type("message.created")) == 3)
        await env.settle(socket)
        contents = [f["data"]["content"] for f in after_ack(socket) if f["type"] != "pong"]
        assert contents == ["Missed one", "Missed two", "Live"]

    async def test_replays_chat_events_too(self, env: GatewayKit, room: Room) -> None:
        last_seen = chat_event_ids(env, room.chat_id)[-1]
        oscar = await env.tc.user("oscar")
        await env.tc.core.workspaces.add_member(
            room.olivia, room.workspace_id, user_id=oscar.user_id, username=None, role=None
        )
        await env.tc.core.chats.add_participant(
            room.olivia, room.workspace_id, room.chat_id, user_id=oscar.user_id, role=None
        )
        socket = await env.connect(room.mia)
        ack = await resume(socket, room.chat_id, last_seen)
        await env.settle(socket)
        replayed = [f["type"] for f in after_ack(socket) if f["type"] != "pong"]
        assert replayed[0] == "chat.participant_added"
        assert ack["replayed"] == len(replayed)

    async def test_an_existing_subscription_is_replayed_too(
        self, env: GatewayKit, room: Room
    ) -> None:
        socket = await env.connect(room.mia)
        socket.send_json({"type": "subscribe", "chat_id": room.chat_id, "id": "first"})
        await socket.frame("ack", ref="first")
        last_seen = chat_event_ids(env, room.chat_id)[-1]
        await env.post(room.olivia, room.workspace_id, room.chat_id, "Already live")
        await socket.frame("message.created")
        ack = await resume(socket, room.chat_id, last_seen)
        assert ack["replayed"] == 0  # this connection already got it
        await env.settle(socket)
        assert len(socket.of_type("message.created")) == 1


class TestResync:
    async def resynced(self, socket: MemorySocket, chat_id: str, last_event_id: str) -> str:
        ack = await resume(socket, chat_id, last_event_id)
        assert ack["replayed"] == 0
        resync = await socket.frame("resync_required")
        assert resync["chat_id"] == chat_id
        return str(resync["reason"])

    async def test_an_unknown_event(self, env: GatewayKit, room: Room) -> None:
        socket = await env.connect(room.mia)
        assert await self.resynced(socket, room.chat_id, "no-such-event") == "unknown_event"
        await env.post(room.olivia, room.workspace_id, room.chat_id, "Still subscribed")
        await socket.frame("message.created")

    async def test_an_event_of_another_chat(self, env: GatewayKit, room: Room) -> None:
        other = await env.chat(room.olivia, room.workspace_id)
        socket = await env.connect(room.mia)
        foreign = chat_event_ids(env, other)[-1]
        assert await self.resynced(socket, room.chat_id, foreign) == "unknown_event"

    async def test_an_event_older_than_the_resume_window(self, env: GatewayKit, room: Room) -> None:
        last_seen = chat_event_ids(env, room.chat_id)[-1]
        env.tc.clock.advance(timedelta(hours=24, seconds=1))
        socket = await env.connect(room.mia)
        assert await self.resynced(socket, room.chat_id, last_seen) == "too_old"


class InterleavingJournal:
    """The real journal, with live events published while the replay reads it."""

    def __init__(self, inner: EventStore) -> None:
        self.inner = inner
        self.while_reading: Callable[[], Awaitable[None]] | None = None

    async def locate_event(self, event_id: str) -> JournalPosition | None:
        return await self.inner.locate_event(event_id)

    async def chat_events_after(
        self, position: JournalPosition, *, limit: int
    ) -> Sequence[EventEnvelope]:
        found = await self.inner.chat_events_after(position, limit=limit)
        if self.while_reading is not None:
            await self.while_reading()
        return found


class TestLiveEventsDuringReplay:
    async def test_wait_for_the_replay_and_come_once(self, make_env: KitFactory) -> None:
        journals: list[InterleavingJournal] = []

        def wrap(inner: EventStore) -> InterleavingJournal:
            journals.append(InterleavingJournal(inner))
            return journals[-1]

        env = await make_env(journal=wrap)
        olivia, mia = await env.tc.user("olivia"), await env.tc.user("mia")
        workspace_id = await env.workspace(olivia, mia)
        chat_id = await env.chat(olivia, workspace_id, mia)
        last_seen = chat_event_ids(env, chat_id)[-1]
        await env.post(olivia, workspace_id, chat_id, "Replayed")
        replayed = env.tc.adapters.event_store.all_events()[-1]
        socket = await env.connect(mia)

        async def live_traffic() -> None:
            await env.post(olivia, workspace_id, chat_id, "Live meanwhile")
            await env.tc.adapters.bus.publish([replayed])  # redelivered while replaying
            await env.gateway.drained()

        journals[0].while_reading = live_traffic
        ack = await resume(socket, chat_id, last_seen)
        assert ack["replayed"] == 1
        await env.settle(socket)
        contents = [f["data"]["content"] for f in socket.of_type("message.created")]
        assert contents == ["Replayed", "Live meanwhile"]
        assert socket.types().index("ack") < socket.types().index("message.created")


def reaction(chat_id: str, version: int, at: datetime) -> Commit:
    event = MessageReactionAdded(message_id="m1", chat_id=chat_id, user_id="u1", emoji="👍")
    envelope = EventEnvelope(
        event_id=f"e{version}",
        aggregate_type=AggregateType.MESSAGE,
        aggregate_id="m1",
        version=version,
        workspace_id="w1",
        chat_id=chat_id,
        actor_id="u1",
        occurred_at=at,
        event=event,
    )
    return Commit(
        commit_id=f"c{version}",
        aggregate_type=AggregateType.MESSAGE,
        aggregate_id="m1",
        base_version=version - 1,
        workspace_id="w1",
        chat_id=chat_id,
        actor_id="u1",
        recorded_at=at,
        events=(envelope,),
    )


class TestReplayCap:
    NOW = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)

    async def journal_with(self, count: int) -> InMemoryEventStore:
        journal = InMemoryEventStore()
        for version in range(1, count + 1):
            await journal.append(reaction("chat-1", version, self.NOW))
        return journal

    async def test_500_events_are_replayed(self) -> None:
        journal = await self.journal_with(MAX_REPLAYED_EVENTS + 1)
        found = await missed_events(
            journal, "chat-1", "e1", now=self.NOW, window=timedelta(hours=24)
        )
        assert not isinstance(found, ResyncReason)
        assert [e.event_id for e in found] == [f"e{n}" for n in range(2, 502)]

    async def test_more_than_500_ask_for_a_resync(self) -> None:
        journal = await self.journal_with(MAX_REPLAYED_EVENTS + 2)
        found = await missed_events(
            journal, "chat-1", "e1", now=self.NOW, window=timedelta(hours=24)
        )
        assert found is ResyncReason.TOO_MANY


class TestReplayPace:
    async def test_a_replay_longer_than_the_send_queue_waits_for_the_client(
        self, make_env: KitFactory
    ) -> None:
        env = await make_env(limits=GatewayLimits(send_queue_size=4))
        olivia, mia = await env.tc.user("olivia"), await env.tc.user("mia")
        workspace_id = await env.workspace(olivia, mia)
        chat_id = await env.chat(olivia, workspace_id, mia)
        last_seen = chat_event_ids(env, chat_id)[-1]
        for n in range(12):
            await env.post(olivia, workspace_id, chat_id, f"Missed {n}")
        socket = await env.connect(mia)
        assert (await resume(socket, chat_id, last_seen))["replayed"] == 12
        await socket.until(lambda: len(socket.of_type("message.created")) == 12)
        assert socket.close_code is None
