"""Change summaries (tags.md §6): one `system` message per REST change of a chat, merged into
the chat's newest message when that is the same actor's summary updated under 2 s ago."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from flowra_core.app.chats.summary_phrases import (
    PhraseContext,
    merge_phrases,
    phrases_of,
    removed_files,
    summary_text,
    users_involved,
)
from flowra_core.app.messages.reads import message_kind
from flowra_core.app.write_path import WritePath
from flowra_core.domain.chat import Chat
from flowra_core.domain.events import DomainEvent, EventEnvelope
from flowra_core.domain.message import (
    Message,
    can_extend_summary,
    create_system_summary,
    revise_system_summary,
)
from flowra_core.ports.files import FileStore
from flowra_core.ports.messages import MessageStore, SummaryDraft, SummaryDraftStore, SummaryPhrase
from flowra_core.ports.users import UserStore

# Summary message ids derive from their commit, so a re-run finds the summary it posted.
_SUMMARY_IDS = uuid.UUID("5d3c1f0e-7a44-4d0b-9a57-3f3c1c9b2e10")


class _SummaryChangedError(Exception):
    """The summary to extend changed between reading it and committing the extension."""


class ChangeSummaries:
    def __init__(
        self,
        write: WritePath,
        messages: MessageStore,
        drafts: SummaryDraftStore,
        users: UserStore,
        files: FileStore,
    ) -> None:
        self._write = write
        self._messages = messages
        self._drafts = drafts
        self._users = users
        self._files = files

    async def record(
        self,
        chat_after: Chat,
        actor_id: str,
        events: Sequence[EventEnvelope],
        *,
        commit_id: str,
        at: datetime,
    ) -> None:
        """Summarise the chat events one REST request of `actor_id` committed (commit
        `commit_id` at `at`). Not for tags, chat creation, chat deletion or removals caused by
        leaving the workspace. Safe to run again for the same commit: a new summary takes an id
        derived from the commit, and merging the same phrases again changes nothing."""
        phrases = await self._phrases(chat_after, [envelope.event for envelope in events])
        if not phrases:
            return
        actor = await self._users.get(actor_id)
        actor_name = actor.display_name if actor is not None else actor_id
        newest = await self._messages.newest_top_level(chat_after.id)
        if newest is not None and await self._extend(
            chat_after, newest, actor_id, actor_name, phrases, at
        ):
            return
        await self._create(chat_after, actor_id, actor_name, phrases, commit_id, at)

    async def _phrases(self, chat: Chat, events: Sequence[DomainEvent]) -> list[SummaryPhrase]:
        users = await self._users.get_many(users_involved(events))
        files = await self._files.get_many(removed_files(events))
        context = PhraseContext(
            chat_type=chat.type,
            display_names={user_id: user.display_name for user_id, user in users.items()},
            file_names={file_id: record.file_name for file_id, record in files.items()},
        )
        return phrases_of(events, context)

    async def _extend(
        self,
        chat: Chat,
        newest: Message,
        actor_id: str,
        actor_name: str,
        phrases: Sequence[SummaryPhrase],
        now: datetime,
    ) -> bool:
        """Merge into the newest message if it is a summary we may extend; False otherwise."""
        if not can_extend_summary(newest, actor_id=actor_id, now=now):
            return False
        draft = await self._drafts.get(newest.id)
        if draft is None or draft.content != newest.content:
            return False  # its phrases are unknown: start a new summary
        merged = merge_phrases(draft.phrases, phrases)
        content = summary_text(actor_name, merged)

        def decide(state: Message | None) -> list[DomainEvent]:
            if (
                state is None
                or state.content != draft.content
                or not can_extend_summary(state, actor_id=actor_id, now=now)
            ):
                raise _SummaryChangedError
            return revise_system_summary(state, content, actor_id=actor_id, now=now)

        kind = message_kind(self._messages, chat.workspace_id)
        try:
            await self._write.execute(kind, newest.id, decide, actor_id=actor_id)
        except _SummaryChangedError:
            return False
        await self._drafts.save(
            SummaryDraft(message_id=newest.id, content=content, phrases=tuple(merged))
        )
        return True

    async def _create(
        self,
        chat: Chat,
        actor_id: str,
        actor_name: str,
        phrases: Sequence[SummaryPhrase],
        commit_id: str,
        now: datetime,
    ) -> None:
        message_id = str(uuid.uuid5(_SUMMARY_IDS, commit_id))
        content = summary_text(actor_name, phrases)
        await self._write.execute(
            message_kind(self._messages, chat.workspace_id),
            message_id,
            lambda state: (
                []
                if state is not None  # posted by an earlier run of this reaction
                else create_system_summary(
                    message_id, chat_id=chat.id, actor_id=actor_id, content=content, now=now
                )
            ),
            actor_id=actor_id,
            new=True,
        )
        await self._drafts.save(
            SummaryDraft(message_id=message_id, content=content, phrases=tuple(phrases))
        )
