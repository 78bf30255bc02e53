"""The journal reads resume needs (EventStore.locate_event / chat_events_after), in memory."""

from __future__ import annotations

from flowra_core.domain.events import AggregateType
from flowra_core.memory.event_store import InMemoryEventStore
from flowra_entrypoints.ws.testing_kit import GatewayKit


def journal(env: GatewayKit) -> InMemoryEventStore:
    return env.tc.adapters.event_store


async def test_locates_an_event_in_its_commit(env: GatewayKit) -> None:
    olivia = await env.tc.user("olivia")
    workspace_id = await env.workspace(olivia)
    chat_id = await env.chat(olivia, workspace_id)
    created = next(e for e in journal(env).all_events() if e.type == "chat.created")
    position = await journal(env).locate_event(created.event_id)
    assert position is not None
    assert position.chat_id == chat_id
    assert position.aggregate_type is AggregateType.CHAT
    assert position.version == created.version
    assert await journal(env).locate_event("no-such-event") is None


async def test_reads_the_chats_own_events_after_a_position(env: GatewayKit) -> None:
    olivia, mia = await env.tc.user("olivia"), await env.tc.user("mia")
    workspace_id = await env.workspace(olivia, mia)
    chat_id = await env.chat(olivia, workspace_id)
    other_chat = await env.chat(olivia, workspace_id)
    created = next(
        e for e in journal(env).all_events() if e.type == "chat.created" and e.chat_id == chat_id
    )
    await env.post(olivia, workspace_id, other_chat, "Elsewhere")
    await env.tc.core.chats.add_participant(  # also notifies mia: a notification.* commit
        olivia, workspace_id, chat_id, user_id=mia.user_id, role=None
    )
    await env.post(olivia, workspace_id, chat_id, "Here")
    position = await journal(env).locate_event(created.event_id)
    assert position is not None
    after = await journal(env).chat_events_after(position, limit=100)
    expected = [
        e
        for e in journal(env).all_events()
        if e.chat_id == chat_id and e.aggregate_type in (AggregateType.CHAT, AggregateType.MESSAGE)
    ]
    expected = expected[expected.index(created) + 1 :]
    assert after == expected
    assert after[0].type == "chat.participant_added"  # the rest of the creating commit
    assert {e.type.partition(".")[0] for e in after} == {"chat", "message"}
    assert all(e.chat_id == chat_id for e in after)
    assert await journal(env).chat_events_after(position, limit=2) == expected[:2]
