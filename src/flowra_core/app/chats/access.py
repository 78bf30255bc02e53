"""Loading a workspace and one of its chats for a caller, with the visibility rules of
http-api.md §3: what the caller may not see answers 404, as if it did not exist."""

from __future__ import annotations

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.app.chats.commands import chat_kind
from flowra_core.app.workspaces.service import workspace_kind
from flowra_core.app.write_path import WritePath
from flowra_core.domain.chat import Chat
from flowra_core.domain.workspace.state import Workspace
from flowra_core.ports.chats import ChatStore
from flowra_core.ports.workspaces import WorkspaceStore


class ChatAccess:
    def __init__(self, write: WritePath, workspaces: WorkspaceStore, chats: ChatStore) -> None:
        self._write = write
        self._workspaces = workspace_kind(workspaces)
        self._chats = chat_kind(chats)

    async def readable(
        self, actor: Actor, workspace_id: str, chat_id: str
    ) -> tuple[Workspace, Chat]:
        """The workspace and the chat if the caller may read it: 404 WORKSPACE_NOT_FOUND, then
        404 CHAT_NOT_FOUND (also for a deleted chat or one of another workspace)."""
        loaded = await self._write.current(self._workspaces, workspace_id)
        workspace = policy.visible_workspace(loaded, actor, workspace_id)
        chat = await self._write.current(self._chats, chat_id)
        return workspace, policy.readable_chat(chat, workspace, actor, chat_id)

    async def can_read(self, actor: Actor, workspace_id: str, chat_id: str) -> bool:
        """Whether `readable` would succeed, for resources that answer their own 404."""
        workspace = await self._write.current(self._workspaces, workspace_id)
        if workspace is None or not policy.can_see_workspace(workspace, actor):
            return False
        chat = await self._write.current(self._chats, chat_id)
        return chat is not None and policy.can_read_chat(chat, workspace, actor)
