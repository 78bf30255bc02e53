"""What a chat command returns, and the collaborators the chat commands need from other areas
(change summaries, uploaded files)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flowra_core.domain.chat import Chat
from flowra_core.domain.events import EventEnvelope
from flowra_core.domain.workspace.state import Workspace
from flowra_core.ports.files import FileRecord


class FileLookup(Protocol):
    async def get(self, file_id: str) -> FileRecord | None: ...


@dataclass(frozen=True, slots=True)
class ChatChange:
    """A command's result: the workspace it ran in, the chat after it, and its events
    (none for a no-op)."""

    workspace: Workspace
    chat: Chat
    events: tuple[EventEnvelope, ...]

    @property
    def changed(self) -> bool:
        return bool(self.events)


def member_ids(workspace: Workspace) -> frozenset[str]:
    """The workspace member ids: what the chat commands check referenced users against."""
    return frozenset(member.user_id for member in workspace.members)
