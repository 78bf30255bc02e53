"""The ChatSummary, Chat and Participant resources (http-api.md §4) as the use cases return
them: the chat state plus what the viewer sees of it (role, unread counts, rights), resolved
user names and attachment URLs. Pages are built with one look-up per kind of data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flowra_core.app import policy
from flowra_core.app.actor import Actor
from flowra_core.app.messages.read_markers import ChatUnread
from flowra_core.app.messages.views import UserRef, file_url, user_ref
from flowra_core.domain.chat import (
    Chat,
    ChatAttachment,
    Participant,
    ParticipantRole,
    StatusCategory,
)
from flowra_core.domain.workspace.state import Workspace
from flowra_core.ports.chats import ChatRecord, ChatStore, is_overdue
from flowra_core.ports.clock import Clock
from flowra_core.ports.users import UserStore


@dataclass(frozen=True, slots=True)
class ChatSummaryView:
    """ChatSummary. Typed-only fields of `chat` are None on a discussion; `my_role` is None
    when the viewer is not a participant."""

    chat: Chat
    last_message_at: datetime | None
    my_role: ParticipantRole | None
    assignee: UserRef | None
    is_overdue: bool
    read: ChatUnread  # unread_count, mention_count, last_read_message_id

    @property
    def participant_count(self) -> int:
        return len(self.chat.participants)

    @property
    def category(self) -> StatusCategory | None:
        return self.chat.category


@dataclass(frozen=True, slots=True)
class ParticipantView:
    participant: Participant
    user: UserRef


@dataclass(frozen=True, slots=True)
class ChatAttachmentView:
    attachment: ChatAttachment
    url: str


@dataclass(frozen=True, slots=True)
class ChatPermissions:
    can_read: bool
    can_write: bool
    can_manage: bool


@dataclass(frozen=True, slots=True)
class ChatView:
    """Chat = ChatSummary + previous_status, description (both on `summary.chat`),
    attachments, participants (in joining order) and the viewer's rights."""

    summary: ChatSummaryView
    participants: tuple[ParticipantView, ...]
    attachments: tuple[ChatAttachmentView, ...]
    permissions: ChatPermissions

    @property
    def chat(self) -> Chat:
        return self.summary.chat


_NOTHING_READ = ChatUnread(unread_count=0, mention_count=0, last_read_message_id=None)


class UnreadSummaries(Protocol):
    async def unread_summary(
        self,
        user_id: str,
        chats: Sequence[Chat],
        records: Mapping[str, ChatRecord] | None = None,
    ) -> Mapping[str, ChatUnread]:
        """Per chat: the user's unread and mention counts (0 where they do not take part) and
        their read marker's message id; the chats' `records` may spare counting."""
        ...


def participant_order(participant: Participant) -> tuple[datetime, str]:
    """Participants are listed by joined_at, then user id."""
    return (participant.joined_at, participant.user_id)


class ChatViews:
    def __init__(
        self,
        users: UserStore,
        chats: ChatStore,
        unread: UnreadSummaries,
        clock: Clock,
    ) -> None:
        self._users = users
        self._chats = chats
        self._unread = unread
        self._clock = clock

    async def records(self, chats: Sequence[Chat]) -> list[ChatRecord]:
        last = await self._chats.last_message_at([chat.id for chat in chats])
        return [ChatRecord(chat, last.get(chat.id)) for chat in chats]

    async def summaries(self, actor: Actor, records: Sequence[ChatRecord]) -> list[ChatSummaryView]:
        now = self._clock.now()
        assignee_ids = {r.chat.assignee_id for r in records if r.chat.assignee_id is not None}
        users = await self._users.get_many(assignee_ids) if assignee_ids else {}
        unread = await self._unread.unread_summary(
            actor.user_id,
            [r.chat for r in records],
            {r.chat.id: r for r in records},
        )
        views: list[ChatSummaryView] = []
        for record in records:
            chat = record.chat
            participant = chat.participant(actor.user_id)
            assignee = chat.assignee_id
            views.append(
                ChatSummaryView(
                    chat=chat,
                    last_message_at=record.last_message_at,
                    my_role=participant.role if participant is not None else None,
                    assignee=None if assignee is None else user_ref(assignee, users.get(assignee)),
                    is_overdue=is_overdue(chat, now),
                    read=unread.get(chat.id, _NOTHING_READ),
                )
            )
        return views

    async def participants(self, participants: Sequence[Participant]) -> list[ParticipantView]:
        users = await self._users.get_many([p.user_id for p in participants])
        return [ParticipantView(p, user_ref(p.user_id, users.get(p.user_id))) for p in participants]

    async def chat(self, actor: Actor, workspace: Workspace, chat: Chat) -> ChatView:
        [summary] = await self.summaries(actor, await self.records([chat]))
        participants = await self.participants(sorted(chat.participants, key=participant_order))
        return ChatView(
            summary=summary,
            participants=tuple(participants),
            attachments=tuple(
                ChatAttachmentView(a, file_url(a.file_id, a.file_name)) for a in chat.attachments
            ),
            permissions=ChatPermissions(
                can_read=policy.can_read_chat(chat, workspace, actor),
                can_write=policy.can_write_chat(chat, actor),
                can_manage=policy.can_manage_chat(chat, workspace, actor),
            ),
        )
