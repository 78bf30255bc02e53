"""Access checks at send time: the chat and its workspace as stored now, judged by the core's
policy module (the same rules as `ChatAccess.readable` on the HTTP side)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.domain.chat.state import Chat
from flowra_core.domain.workspace.state import Workspace
from flowra_core.ports.chats import ChatStore
from flowra_core.ports.workspaces import WorkspaceStore


@dataclass(frozen=True, slots=True)
class ChatContext:
    chat: Chat
    workspace: Workspace

    def readable_by(self, actor: Actor) -> bool:
        return policy.can_see_workspace(self.workspace, actor) and policy.can_read_chat(
            self.chat, self.workspace, actor
        )

    def reader_check(self) -> Callable[[Actor], bool]:
        """`readable_by`, remembering each actor's answer: a fan-out asks once per user, not
        once per connection."""
        verdicts: dict[Actor, bool] = {}

        def readable(actor: Actor) -> bool:
            verdict = verdicts.get(actor)
            if verdict is None:
                verdict = verdicts[actor] = self.readable_by(actor)
            return verdict

        return readable

    def writable_by(self, actor: Actor) -> bool:
        return policy.can_write_chat(self.chat, actor)

    def reader_candidates(self) -> set[str]:
        """Users who may read the chat without subscribing: its participants, and every member
        when it is public (websocket.md §4 `chat.*`)."""
        candidates = {participant.user_id for participant in self.chat.participants}
        if self.chat.is_public:
            candidates.update(member.user_id for member in self.workspace.members)
        return candidates

    def before_deletion(self) -> ChatContext:
        """The chat as it was just before `chat.deleted`: whoever could read it hears of it."""
        if not self.chat.is_deleted:
            return self
        return ChatContext(msgspec.structs.replace(self.chat, deleted_at=None), self.workspace)


class ChatLookup:
    def __init__(self, chats: ChatStore, workspaces: WorkspaceStore) -> None:
        self._chats = chats
        self._workspaces = workspaces

    async def get(self, chat_id: str) -> ChatContext | None:
        chat = await self._chats.get(chat_id)
        if chat is None:
            return None
        workspace = await self._workspaces.get(chat.workspace_id)
        if workspace is None:
            return None
        return ChatContext(chat, workspace)

    async def workspace(self, workspace_id: str) -> Workspace | None:
        return await self._workspaces.get(workspace_id)
