"""The phrases of change summaries (tags.md §6): which chat event says what, in which order,
how a later phrase for the same field replaces an earlier one, and the sentence they make."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from flowra_core.domain.chat import (
    ChatAssigneeRemoved,
    ChatAttachmentAdded,
    ChatAttachmentRemoved,
    ChatClosed,
    ChatDescriptionSet,
    ChatDueDateRemoved,
    ChatDueDateSet,
    ChatParticipantAdded,
    ChatParticipantRemoved,
    ChatPrioritySet,
    ChatRenamed,
    ChatReopened,
    ChatSeveritySet,
    ChatStatusChanged,
    ChatType,
    ChatTypeChanged,
    ChatUserAssigned,
)
from flowra_core.domain.datetimes import format_due_date
from flowra_core.domain.events import DomainEvent
from flowra_core.ports.messages import SummaryPhrase

# One request's field phrases come in this order (tags.md §6); other phrases follow them.
FIELD_ORDER: Final = (
    "type",
    "title",
    "description",
    "status",
    "priority",
    "severity",
    "assignee",
    "due_date",
)


@dataclass(frozen=True, slots=True)
class PhraseContext:
    """What the phrases need beyond the events: the chat's type after the change, display
    names of the users involved and names of the files involved."""

    chat_type: ChatType
    display_names: Mapping[str, str]
    file_names: Mapping[str, str]

    def name(self, user_id: str) -> str:
        return self.display_names.get(user_id, user_id)


def users_involved(events: Sequence[DomainEvent]) -> set[str]:
    ids: set[str] = set()
    for event in events:
        if isinstance(event, ChatUserAssigned):
            ids.add(event.assignee_id)
        elif isinstance(event, ChatParticipantAdded | ChatParticipantRemoved):
            ids.add(event.user_id)
    return ids


def removed_files(events: Sequence[DomainEvent]) -> set[str]:
    return {event.file_id for event in events if isinstance(event, ChatAttachmentRemoved)}


def _or_removed(value: str | None, set_text: str, removed_text: str) -> str:
    return removed_text if value is None else f"{set_text} {value}"


def _field_phrase(event: DomainEvent, context: PhraseContext) -> SummaryPhrase | None:
    match event:
        case ChatTypeChanged():
            return SummaryPhrase(field="type", text=f"converted this chat to a {event.new_type}")
        case ChatRenamed():
            return SummaryPhrase(field="title", text=f'changed title to "{event.new_title}"')
        case ChatDescriptionSet():
            text = "updated the description" if event.description else "removed the description"
            return SummaryPhrase(field="description", text=text)
        case ChatStatusChanged():
            return SummaryPhrase(field="status", text=f"changed status to {event.new_status}")
        case ChatPrioritySet():
            text = _or_removed(event.new_priority, "set priority to", "removed the priority")
            return SummaryPhrase(field="priority", text=text)
        case ChatSeveritySet():
            text = _or_removed(event.new_severity, "set severity to", "removed the severity")
            return SummaryPhrase(field="severity", text=text)
        case ChatUserAssigned():
            return SummaryPhrase(
                field="assignee", text=f"assigned {context.name(event.assignee_id)}"
            )
        case ChatAssigneeRemoved():
            return SummaryPhrase(field="assignee", text="removed the assignee")
        case ChatDueDateSet():
            text = f"set due date to {format_due_date(event.new_due_date)}"
            return SummaryPhrase(field="due_date", text=text)
        case ChatDueDateRemoved():
            return SummaryPhrase(field="due_date", text="removed the due date")
    return None


def _other_phrase(event: DomainEvent, context: PhraseContext) -> str | None:
    match event:
        case ChatClosed():
            return f"closed this {context.chat_type}"
        case ChatReopened():
            return f"reopened this {context.chat_type}"
        case ChatParticipantAdded():
            if event.user_id == event.added_by:
                return "joined the chat"
            return f"added {context.name(event.user_id)}"
        case ChatParticipantRemoved():
            if event.user_id == event.removed_by:
                return "left the chat"
            return f"removed {context.name(event.user_id)}"
        case ChatAttachmentAdded():
            return f"attached {event.file_name}"
        case ChatAttachmentRemoved():
            name = context.file_names.get(event.file_id, event.file_id)
            return f"removed the attachment {name}"
    return None


def _implied(events: Sequence[DomainEvent]) -> set[int]:
    """Events another event of the same request already tells: the severity a conversion
    clears, and adding the assignee as a participant."""
    converted = any(isinstance(event, ChatTypeChanged) for event in events)
    assigned = {event.assignee_id for event in events if isinstance(event, ChatUserAssigned)}
    return {
        index
        for index, event in enumerate(events)
        if (converted and isinstance(event, ChatSeveritySet))
        or (isinstance(event, ChatParticipantAdded) and event.user_id in assigned)
    }


def phrases_of(events: Sequence[DomainEvent], context: PhraseContext) -> list[SummaryPhrase]:
    """The phrases of one request: field phrases in `FIELD_ORDER`, then the others in
    event order. Events that are never summarised (creation, deletion) give none."""
    implied = _implied(events)
    fields: list[SummaryPhrase] = []
    others: list[SummaryPhrase] = []
    for index, event in enumerate(events):
        if index in implied:
            continue
        field = _field_phrase(event, context)
        if field is not None:
            fields.append(field)
            continue
        other = _other_phrase(event, context)
        if other is not None:
            others.append(SummaryPhrase(field=None, text=other))
    fields.sort(key=lambda phrase: FIELD_ORDER.index(phrase.field or ""))
    return [*fields, *others]


def merge_phrases(
    earlier: Sequence[SummaryPhrase], later: Sequence[SummaryPhrase]
) -> list[SummaryPhrase]:
    """A later phrase for a field already present replaces it in place; the rest append."""
    merged = list(earlier)
    for phrase in later:
        slot = next(
            (
                index
                for index, present in enumerate(merged)
                if phrase.field is not None and present.field == phrase.field
            ),
            None,
        )
        if slot is None:
            merged.append(phrase)
        else:
            merged[slot] = phrase
    return merged


def summary_text(actor_name: str, phrases: Sequence[SummaryPhrase]) -> str:
    """`<Actor> p1`, `<Actor> p1 and p2`, `<Actor> p1, p2, and p3`."""
    texts = [phrase.text for phrase in phrases]
    if len(texts) <= 2:
        return f"{actor_name} {' and '.join(texts)}"
    return f"{actor_name} {', '.join(texts[:-1])}, and {texts[-1]}"
