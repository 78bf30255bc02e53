"""What message commits change beyond the message documents: the thread stats of the parent,
the chat's `last_message_at` and `timeline_version` (which validates cached unread counts), and
which message an uploaded file is attached to.

Every update is recomputed from the stored messages, raises a time to at least the event's
(`$max`) or is a set-once, never a blind increment, so a rebuild converges on the same values.
The raise is only right in journal order: a replay by the reaction sweep may come after a later
commit deleted the message, so `reproject` recomputes the chat's time from the stored messages.
The one increment, `timeline_version`, is only compared
for equality: a replay moving it once more makes the next chat list count again, nothing else.
"""

from __future__ import annotations

from flowra_core.domain.events import AggregateType
from flowra_core.domain.message import MessageCreated, MessageDeleted, MessageEdited
from flowra_core.ports.chats import ChatStore
from flowra_core.ports.event_store import Commit
from flowra_core.ports.files import FileStore
from flowra_core.ports.messages import MessageStore


class MessageProjector:
    def __init__(self, messages: MessageStore, chats: ChatStore, files: FileStore) -> None:
        self._messages = messages
        self._chats = chats
        self._files = files

    async def project(self, commit: Commit) -> None:
        """Inline, right after the commit: a new top-level message raises the chat's time."""
        await self._project(commit, in_order=True)

    async def reproject(self, commit: Commit) -> None:
        """From the sweep, possibly after later commits of the message: recompute instead."""
        await self._project(commit, in_order=False)

    async def _project(self, commit: Commit, *, in_order: bool) -> None:
        if commit.aggregate_type is not AggregateType.MESSAGE:
            return
        for envelope in commit.events:
            event = envelope.event
            if isinstance(event, MessageCreated) and event.attachments:
                file_ids = [attachment.file_id for attachment in event.attachments]
                await self._files.mark_attached(file_ids, event.message_id)
            if isinstance(event, MessageCreated) and event.parent_id is None and in_order:
                await self._chats.raise_last_message_at(event.chat_id, event.created_at)
            elif isinstance(event, MessageCreated | MessageDeleted):
                await self._timeline_changed(event.chat_id, event.parent_id)
            if isinstance(event, MessageEdited):
                # Its mentions may have changed: cached mention counts are no longer valid.
                await self._chats.timeline_changed(event.chat_id)

    async def _timeline_changed(self, chat_id: str, parent_id: str | None) -> None:
        if parent_id is not None:
            await self._messages.refresh_thread_stats(chat_id, parent_id)
            return
        newest = await self._messages.newest_live_top_level_at(chat_id)
        await self._chats.set_last_message_at(chat_id, newest)
