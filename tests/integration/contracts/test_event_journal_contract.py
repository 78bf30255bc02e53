"""EventStore contract, journal positions: `locate_event` finds where an event is recorded and
`chat_events_after` replays a chat's `chat.*` and `message.*` events after it, in journal
order (a WebSocket resume)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flowra_core.domain.chat.events import ChatRenamed
from flowra_core.domain.events import AggregateType, DomainEvent, EventEnvelope
from flowra_core.domain.message.events import MessageReactionAdded
from flowra_core.ports.event_store import Commit, JournalPosition

from .backends import Ports

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)


def _event(aggregate_type: AggregateType, aggregate_id: str, chat_id: str | None) -> DomainEvent:
    if aggregate_type is AggregateType.MESSAGE:
        return MessageReactionAdded(
            message_id=aggregate_id, chat_id=chat_id or "", user_id="u1", emoji="👍"
        )
    return ChatRenamed(old_title="Old", new_title="New", renamed_by="u1")


def commit(
    aggregate_type: AggregateType,
    aggregate_id: str,
    base_version: int,
    *,
    chat_id: str | None,
    seconds: float,
    events: int = 1,
    commit_id: str | None = None,
) -> Commit:
    recorded_at = T0 + timedelta(seconds=seconds)
    return Commit(
        commit_id=commit_id or f"{aggregate_id}-c{base_version}",
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        base_version=base_version,
        workspace_id="w1",
        chat_id=chat_id,
        actor_id="u1",
        recorded_at=recorded_at,
        events=tuple(
            EventEnvelope(
                event_id=f"{aggregate_id}-e{base_version + n}",
                aggregate_type=aggregate_type,
                aggregate_id=aggregate_id,
                version=base_version + n,
                workspace_id="w1",
                chat_id=chat_id,
                actor_id="u1",
                occurred_at=recorded_at,
                event=_event(aggregate_type, aggregate_id, chat_id),
            )
            for n in range(1, events + 1)
        ),
    )


CHAT, MESSAGE, WORKSPACE = AggregateType.CHAT, AggregateType.MESSAGE, AggregateType.WORKSPACE


async def journal(ports: Ports) -> None:
    """Chat c1's journal: c1 v1-2, m1 v1, c1 v3 — among commits of other chats and kinds."""
    for stored in (
        commit(CHAT, "c1", 0, chat_id="c1", seconds=1, events=2),
        commit(MESSAGE, "m1", 0, chat_id="c1", seconds=2),
        commit(MESSAGE, "m9", 0, chat_id="c2", seconds=2),
        commit(WORKSPACE, "w1", 0, chat_id="c1", seconds=3),
        commit(CHAT, "c1", 2, chat_id="c1", seconds=4),
    ):
        await ports.events.append(stored)


async def position(ports: Ports, event_id: str) -> JournalPosition:
    found = await ports.events.locate_event(event_id)
    assert found is not None
    return found


def event_ids(envelopes: object) -> list[str]:
    assert isinstance(envelopes, list | tuple)
    return [envelope.event_id for envelope in envelopes]


class TestLocateEvent:
    async def test_the_position_of_a_recorded_event(self, ports: Ports) -> None:
        await journal(ports)

        found = await ports.events.locate_event("c1-e2")

        assert found == JournalPosition(
            event_id="c1-e2",
            commit_id="c1-c0",
            aggregate_type=CHAT,
            version=2,
            chat_id="c1",
            recorded_at=T0 + timedelta(seconds=1),
        )

    async def test_an_unknown_event_has_none(self, ports: Ports) -> None:
        await journal(ports)

        assert await ports.events.locate_event("nope") is None


class TestChatEventsAfter:
    @pytest.mark.parametrize(
        ("event_id", "expected"),
        [
            ("c1-e1", ["c1-e2", "m1-e1", "c1-e3"]),
            ("c1-e2", ["m1-e1", "c1-e3"]),
            ("m1-e1", ["c1-e3"]),
            ("c1-e3", []),
        ],
    )
    async def test_the_chats_later_events_in_journal_order(
        self, ports: Ports, event_id: str, expected: list[str]
    ) -> None:
        await journal(ports)

        found = await ports.events.chat_events_after(await position(ports, event_id), limit=10)

        assert event_ids(found) == expected

    async def test_the_limit_keeps_the_earliest(self, ports: Ports) -> None:
        await journal(ports)
        start = await position(ports, "c1-e1")

        assert event_ids(await ports.events.chat_events_after(start, limit=2)) == [
            "c1-e2",
            "m1-e1",
        ]
        assert list(await ports.events.chat_events_after(start, limit=0)) == []

    async def test_commits_of_one_instant_follow_their_stream_order(self, ports: Ports) -> None:
        for base in range(4):
            await ports.events.append(
                commit(CHAT, "c1", base, chat_id="c1", seconds=1, commit_id=f"z{9 - base}")
            )

        found = await ports.events.chat_events_after(await position(ports, "c1-e1"), limit=10)

        assert event_ids(found) == ["c1-e2", "c1-e3", "c1-e4"]

    async def test_a_position_outside_any_chat_replays_nothing(self, ports: Ports) -> None:
        await ports.events.append(commit(WORKSPACE, "w1", 0, chat_id=None, seconds=1))

        found = await ports.events.chat_events_after(await position(ports, "w1-e1"), limit=10)

        assert list(found) == []
