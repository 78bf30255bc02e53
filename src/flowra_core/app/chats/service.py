"""Chats and work items (http-api.md "Chats and work items"): the REST use cases.

The commands and their rules are in `chats.commands` (shared with the `#tag` executor); the
reads are `ChatReads` (`FlowraCore.chat_reads`). This service turns the commands' results into
the resources the API returns.
"""

from __future__ import annotations

from flowra_core.app.actor import Actor
from flowra_core.app.chats.change import ChatChange
from flowra_core.app.chats.commands import ChatCommands
from flowra_core.app.chats.views import ChatView, ChatViews, ParticipantView
from flowra_core.domain.chat import ChatChanges, NewChat


class ChatService:
    def __init__(self, commands: ChatCommands, views: ChatViews) -> None:
        self._commands = commands
        self._views = views

    async def _view(self, actor: Actor, change: ChatChange) -> ChatView:
        return await self._views.chat(actor, change.workspace, change.chat)

    async def create(self, actor: Actor, workspace_id: str, draft: NewChat) -> ChatView:
        """`POST W/chats`: any member; type defaults to discussion."""
        change = await self._commands.create(actor, workspace_id, draft, work_item_only=False)
        return await self._view(actor, change)

    async def create_task(self, actor: Actor, workspace_id: str, draft: NewChat) -> ChatView:
        """`POST W/tasks`: quick-create; type defaults to task, discussion is refused (422)."""
        change = await self._commands.create(actor, workspace_id, draft, work_item_only=True)
        return await self._view(actor, change)

    async def patch(
        self, actor: Actor, workspace_id: str, chat_id: str, changes: ChatChanges
    ) -> ChatView:
        change = await self._commands.patch(actor, workspace_id, chat_id, changes)
        return await self._view(actor, change)

    async def delete(self, actor: Actor, workspace_id: str, chat_id: str) -> None:
        await self._commands.delete(actor, workspace_id, chat_id)

    async def convert(
        self, actor: Actor, workspace_id: str, chat_id: str, *, chat_type: str, title: str | None
    ) -> ChatView:
        change = await self._commands.convert(actor, workspace_id, chat_id, chat_type, title)
        return await self._view(actor, change)

    async def close(self, actor: Actor, workspace_id: str, chat_id: str) -> ChatView:
        return await self._view(actor, await self._commands.close(actor, workspace_id, chat_id))

    async def reopen(self, actor: Actor, workspace_id: str, chat_id: str) -> ChatView:
        return await self._view(actor, await self._commands.reopen(actor, workspace_id, chat_id))

    async def join(self, actor: Actor, workspace_id: str, chat_id: str) -> ChatView:
        return await self._view(actor, await self._commands.join(actor, workspace_id, chat_id))

    async def leave(self, actor: Actor, workspace_id: str, chat_id: str) -> None:
        await self._commands.leave(actor, workspace_id, chat_id)

    async def add_participant(
        self, actor: Actor, workspace_id: str, chat_id: str, *, user_id: str, role: str | None
    ) -> ParticipantView:
        change = await self._commands.add_participant(actor, workspace_id, chat_id, user_id, role)
        participant = change.chat.participant(user_id)
        assert participant is not None
        [view] = await self._views.participants([participant])
        return view

    async def remove_participant(
        self, actor: Actor, workspace_id: str, chat_id: str, user_id: str
    ) -> None:
        """Another participant needs manage; oneself is leaving."""
        await self._commands.remove_participant(actor, workspace_id, chat_id, user_id)

    async def add_attachment(
        self, actor: Actor, workspace_id: str, chat_id: str, file_id: str
    ) -> ChatView:
        change = await self._commands.add_attachment(actor, workspace_id, chat_id, file_id)
        return await self._view(actor, change)

    async def remove_attachment(
        self, actor: Actor, workspace_id: str, chat_id: str, file_id: str
    ) -> None:
        await self._commands.remove_attachment(actor, workspace_id, chat_id, file_id)

    async def remove_departed_member(self, workspace_id: str, user_id: str, actor_id: str) -> None:
        """`WorkspaceService.on_member_departed` hook (domain.md §2 cascade)."""
        await self._commands.remove_departed_member(workspace_id, user_id, actor_id)
