"""Chat commands (domain.md §3) under the authorization of http-api.md §3: one commit each.

REST endpoints and `#tags` both run through these, so a rule lives in one place. Each command
loads the visible workspace, then decides against the freshly loaded chat (again on each
conflict retry): 404 for a chat the caller cannot read, then the caller's right, then the
domain's own checks. REST changes record one change summary per command (tags.md §6); tags
use `without_summaries()` because their bot reply takes its place (E6).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from msgspec import UNSET

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.app.chats.change import ChatChange, FileLookup, member_ids
from flowra_core.app.workspaces.service import WorkspaceService
from flowra_core.app.write_path import AggregateKind, Routing, WritePath
from flowra_core.domain import chat as domain
from flowra_core.domain.chat import Chat, ChatChanges, NewChat
from flowra_core.domain.errors import ValidationFailed
from flowra_core.domain.events import AggregateType, DomainEvent
from flowra_core.domain.workspace.state import Workspace
from flowra_core.ports.chats import ChatStore


def chat_kind(store: ChatStore) -> AggregateKind[Chat]:
    def evolve(state: Chat | None, event: DomainEvent, at: datetime, chat_id: str) -> Chat:
        return domain.evolve(state, event, at, chat_id=chat_id)

    return AggregateKind(
        aggregate_type=AggregateType.CHAT,
        store=store,
        evolve=evolve,
        routing=lambda chat: Routing(workspace_id=chat.workspace_id, chat_id=chat.id),
    )


ChatDecide = Callable[[Chat, Workspace], Sequence[DomainEvent]]


def _require_patch_rights(
    chat: Chat, workspace: Workspace, actor: Actor, changes: ChatChanges
) -> None:
    """`title` on a discussion needs manage; every other field (a typed title too) write."""
    renames = changes.title is not UNSET
    if changes.touches_work_item_fields or (renames and chat.is_typed):
        policy.require_chat_write(chat, actor)
    if renames and not chat.is_typed:
        policy.require_chat_manage(chat, workspace, actor, "rename this discussion")
    if not (renames or changes.touches_work_item_fields):
        raise ValidationFailed.single("body", "Give at least one field to change")


class ChatCommands:
    def __init__(
        self,
        write: WritePath,
        workspaces: WorkspaceService,
        chats: ChatStore,
        files: FileLookup,
        *,
        summaries: bool = True,
    ) -> None:
        self._write = write
        self._workspaces = workspaces
        self._chats = chats
        self._files = files
        # Whether REST changes earn a change summary (a reaction posts it).
        self._summaries = summaries
        self.kind = chat_kind(chats)

    def without_summaries(self) -> ChatCommands:
        """The same commands for `#tags`: no change summary (tags.md E6)."""
        return ChatCommands(
            self._write, self._workspaces, self._chats, self._files, summaries=False
        )

    async def workspace(self, actor: Actor, workspace_id: str) -> Workspace:
        return await self._workspaces.visible(actor, workspace_id)

    async def current(self, chat_id: str) -> Chat | None:
        return await self._write.current(self.kind, chat_id)

    async def _run(
        self,
        actor: Actor,
        workspace_id: str,
        chat_id: str,
        decide: ChatDecide,
        *,
        summarize: bool = True,
    ) -> ChatChange:
        workspace = await self.workspace(actor, workspace_id)

        def checked(state: Chat | None) -> Sequence[DomainEvent]:
            return decide(policy.readable_chat(state, workspace, actor, chat_id), workspace)

        outcome = await self._write.execute(
            self.kind,
            chat_id,
            checked,
            actor_id=actor.user_id,
            summarize=summarize and self._summaries,
        )
        return ChatChange(workspace, outcome.required(), outcome.events)

    # -- creation and the chat itself ------------------------------------------------------

    async def create(
        self, actor: Actor, workspace_id: str, draft: NewChat, *, work_item_only: bool
    ) -> ChatChange:
        """No change summary: creating a chat is not summarised (tags.md §6)."""
        workspace = await self.workspace(actor, workspace_id)
        policy.require_member(workspace, actor, "create chats in this workspace")
        chat_id = self._write.ids.new_id()
        now = self._write.clock.now()
        outcome = await self._write.execute(
            self.kind,
            chat_id,
            lambda _state: domain.create_chat(
                draft,
                workspace_id=workspace_id,
                members=member_ids(workspace),
                actor_id=actor.user_id,
                now=now,
                work_item_only=work_item_only,
            ),
            actor_id=actor.user_id,
            new=True,
        )
        return ChatChange(workspace, outcome.required(), outcome.events)

    async def patch(
        self, actor: Actor, workspace_id: str, chat_id: str, changes: ChatChanges
    ) -> ChatChange:
        now = self._write.clock.now()

        def decide(chat: Chat, workspace: Workspace) -> list[DomainEvent]:
            _require_patch_rights(chat, workspace, actor, changes)
            return domain.update_work_item(
                chat, changes, members=member_ids(workspace), actor_id=actor.user_id, now=now
            )

        return await self._run(actor, workspace_id, chat_id, decide)

    async def delete(self, actor: Actor, workspace_id: str, chat_id: str) -> ChatChange:
        now = self._write.clock.now()

        def decide(chat: Chat, workspace: Workspace) -> list[DomainEvent]:
            policy.require_chat_manage(chat, workspace, actor, "delete this chat")
            return domain.delete(chat, actor_id=actor.user_id, now=now)

        return await self._run(actor, workspace_id, chat_id, decide, summarize=False)

    async def convert(
        self, actor: Actor, workspace_id: str, chat_id: str, chat_type: str, title: str | None
    ) -> ChatChange:
        now = self._write.clock.now()

        def decide(chat: Chat, workspace: Workspace) -> list[DomainEvent]:
            policy.require_chat_manage(chat, workspace, actor, "convert this chat")
            return domain.convert(chat, chat_type, title, actor_id=actor.user_id, now=now)

        return await self._run(actor, workspace_id, chat_id, decide)

    async def close(self, actor: Actor, workspace_id: str, chat_id: str) -> ChatChange:
        now = self._write.clock.now()

        def decide(chat: Chat, _workspace: Workspace) -> list[DomainEvent]:
            policy.require_chat_write(chat, actor)
            return domain.close(chat, actor_id=actor.user_id, now=now)

        return await self._run(actor, workspace_id, chat_id, decide)

    async def reopen(self, actor: Actor, workspace_id: str, chat_id: str) -> ChatChange:
        now = self._write.clock.now()

        def decide(chat: Chat, _workspace: Workspace) -> list[DomainEvent]:
            policy.require_chat_write(chat, actor)
            return domain.reopen(chat, actor_id=actor.user_id, now=now)

        return await self._run(actor, workspace_id, chat_id, decide)

    # -- participants ----------------------------------------------------------------------

    async def join(self, actor: Actor, workspace_id: str, chat_id: str) -> ChatChange:
        """Idempotent; a private chat stays invisible (404) and only members may join (403)."""
        now = self._write.clock.now()

        def decide(chat: Chat, workspace: Workspace) -> list[DomainEvent]:
            events = domain.join(chat, actor_id=actor.user_id, now=now)
            if events:
                policy.require_member(workspace, actor, "join chats of this workspace")
            return events

        return await self._run(actor, workspace_id, chat_id, decide)

    async def leave(self, actor: Actor, workspace_id: str, chat_id: str) -> ChatChange:
        now = self._write.clock.now()

        def decide(chat: Chat, _workspace: Workspace) -> list[DomainEvent]:
            return domain.leave(chat, actor_id=actor.user_id, now=now)

        return await self._run(actor, workspace_id, chat_id, decide)

    async def add_participant(
        self, actor: Actor, workspace_id: str, chat_id: str, user_id: str, role: str | None
    ) -> ChatChange:
        now = self._write.clock.now()

        def decide(chat: Chat, workspace: Workspace) -> list[DomainEvent]:
            policy.require_chat_manage(chat, workspace, actor, "add participants to this chat")
            return domain.add_participant(
                chat,
                user_id,
                role or domain.ParticipantRole.MEMBER,
                members=member_ids(workspace),
                actor_id=actor.user_id,
                now=now,
            )

        return await self._run(actor, workspace_id, chat_id, decide)

    async def remove_participant(
        self, actor: Actor, workspace_id: str, chat_id: str, user_id: str
    ) -> ChatChange:
        """Removing oneself is leaving (participant only); anyone else needs manage."""
        if user_id == actor.user_id:
            return await self.leave(actor, workspace_id, chat_id)
        now = self._write.clock.now()

        def decide(chat: Chat, workspace: Workspace) -> list[DomainEvent]:
            policy.require_chat_manage(chat, workspace, actor, "remove participants")
            return domain.remove_participant(chat, user_id, actor_id=actor.user_id, now=now)

        return await self._run(actor, workspace_id, chat_id, decide)

    async def remove_departed_member(self, workspace_id: str, user_id: str, actor_id: str) -> None:
        """Workspace leave/removal cascade (domain.md §2): one `chat.participant_removed` per
        chat, ignoring the last-admin rule, without change summaries."""
        now = self._write.clock.now()
        for chat_id in await self._chats.ids_with_participant(workspace_id, user_id):
            await self._write.execute(
                self.kind,
                chat_id,
                lambda state: (
                    []
                    if state is None
                    else domain.remove_departed_member(state, user_id, actor_id=actor_id, now=now)
                ),
                actor_id=actor_id,
            )

    # -- work-item attachments -------------------------------------------------------------

    async def add_attachment(
        self, actor: Actor, workspace_id: str, chat_id: str, file_id: str
    ) -> ChatChange:
        record = await self._files.get(file_id)
        now = self._write.clock.now()

        def decide(chat: Chat, _workspace: Workspace) -> list[DomainEvent]:
            policy.require_chat_write(chat, actor)
            if record is None or record.chat_id != chat.id:
                raise ValidationFailed.single("file_id", "No file uploaded to this chat has it")
            return domain.add_attachment(
                chat,
                file_id=record.id,
                file_name=record.file_name,
                file_size=record.size,
                mime_type=record.mime_type,
                actor_id=actor.user_id,
                now=now,
            )

        return await self._run(actor, workspace_id, chat_id, decide)

    async def remove_attachment(
        self, actor: Actor, workspace_id: str, chat_id: str, file_id: str
    ) -> ChatChange:
        now = self._write.clock.now()

        def decide(chat: Chat, _workspace: Workspace) -> list[DomainEvent]:
            policy.require_chat_write(chat, actor)
            return domain.remove_attachment(chat, file_id, actor_id=actor.user_id, now=now)

        return await self._run(actor, workspace_id, chat_id, decide)
