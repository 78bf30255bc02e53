"""50 writers change one chat at once (domain.md §3 "Concurrency"): the final state equals
some serial order of the commands that succeeded, and nothing acknowledged is lost.

Commands only interleave at await points; this journal yields on every stream read like a
database round trip, so concurrent commands really load the same version and race.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.domain.chat import ChatChanges, ChatDescriptionSet, NewChat, replay
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.domain.events import EventEnvelope
from flowra_core.domain.user import UserSource
from flowra_core.memory.event_store import InMemoryEventStore
from flowra_core.ports.identity import IdentityClaims
from flowra_core.testing.builder import in_memory_ports
from flowra_core.testing.clock import FixedClock, SeededIds, SeededTokens

WRITERS = 50


class YieldingEventStore(InMemoryEventStore):
    async def read_stream(
        self, aggregate_id: str, *, after_version: int = 0
    ) -> list[EventEnvelope]:
        await asyncio.sleep(0)
        events = list(await super().read_stream(aggregate_id, after_version=after_version))
        await asyncio.sleep(0)
        return events


async def test_fifty_concurrent_description_edits_of_one_chat_lose_nothing() -> None:
    journal = YieldingEventStore()
    ports, _ = in_memory_ports(clock=FixedClock(), ids=SeededIds(), tokens=SeededTokens())
    core = FlowraCore(replace(ports, event_store=journal))
    await core.users.ensure_bot()
    user = await core.users.provision(
        IdentityClaims("local:alice", "alice", None, None, False, UserSource.DEV)
    )
    alice = Actor(user.id)
    workspace = await core.workspaces.create(alice, name="Team", description=None)
    workspace_id = workspace.workspace.id
    chat = await core.chats.create(alice, workspace_id, NewChat(type="task", title="Race"))
    chat_id = chat.chat.id

    async def edit(index: int) -> str | None:
        text = f"edit {index}"
        try:
            await core.chats.patch(alice, workspace_id, chat_id, ChatChanges(description=text))
        except DomainError as error:
            if error.code is not ErrorCode.CONCURRENT_MODIFICATION:
                raise
            return None
        return text

    outcomes = await asyncio.gather(*(edit(i) for i in range(WRITERS)))
    succeeded = [text for text in outcomes if text is not None]
    assert succeeded, "at least the first writer wins"

    stream = await journal.read_stream(chat_id)
    assert [e.version for e in stream] == list(range(1, len(stream) + 1))  # no gaps, no forks
    descriptions = [e.event.description for e in stream if isinstance(e.event, ChatDescriptionSet)]
    # Every acknowledged edit is in the journal exactly once, and nothing else is.
    assert sorted(descriptions) == sorted(succeeded)
    stored = await core.ports.chats.get(chat_id)
    assert stored is not None
    assert stored == replay(stream)
    assert stored.description == descriptions[-1]
