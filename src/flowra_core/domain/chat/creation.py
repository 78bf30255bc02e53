"""Creating a chat or work item (domain.md §3 "Create", http-api.md `POST W/chats`, `W/tasks`)."""

from collections.abc import Container, Sequence
from datetime import datetime
from typing import Final

import msgspec

from flowra_core.domain.chat.events import ChatCreated, ChatParticipantAdded
from flowra_core.domain.chat.inputs import (
    description_input,
    due_date_input,
    priority_input,
    severity_input,
    status_input,
    title_input,
    type_input,
    workspace_member_input,
)
from flowra_core.domain.chat.rules import FieldErrors
from flowra_core.domain.chat.vocabulary import (
    ChatType,
    ParticipantRole,
    Priority,
    Severity,
    Status,
    default_status,
)
from flowra_core.domain.errors import ValidationFailed
from flowra_core.domain.events import DomainEvent

EXTRA_PARTICIPANTS_MAX: Final = 100

_WORK_ITEM_INPUTS: Final = (
    "description",
    "status",
    "priority",
    "severity",
    "assignee_id",
    "due_date",
)


class NewChat(msgspec.Struct, frozen=True, kw_only=True):
    """The creation input as the user gave it; None = not given."""

    type: str | None = None
    title: str | None = None
    description: str | None = None
    is_public: bool = True
    participant_ids: Sequence[str] = ()
    status: str | None = None
    priority: str | None = None
    severity: str | None = None
    assignee_id: str | None = None
    due_date: str | None = None


class _WorkItemFields(msgspec.Struct, frozen=True, kw_only=True):
    description: str = ""
    status: Status | None = None
    priority: Priority | None = None
    severity: Severity | None = None
    assignee_id: str | None = None
    due_date: datetime | None = None


def _work_item_type(text: str) -> ChatType:
    chat_type = type_input(text)
    if not chat_type.is_typed:
        raise ValidationFailed.single("type", "A work item is a task, bug or epic")
    return chat_type


def _discussion_fields(draft: NewChat, errors: FieldErrors) -> _WorkItemFields:
    for name in _WORK_ITEM_INPUTS:
        if getattr(draft, name) is not None:
            errors.add(name, "Only work items (task, bug, epic) have this field")
    return _WorkItemFields()


def _work_item_fields(
    chat_type: ChatType, draft: NewChat, members: Container[str], errors: FieldErrors
) -> _WorkItemFields:
    description = errors.check(description_input, draft.description or "")
    status = default_status(chat_type)
    if draft.status is not None:
        status = errors.check(status_input, chat_type, draft.status) or status
    priority = errors.check(priority_input, draft.priority)
    severity = None
    if draft.severity is not None:
        severity = errors.check(severity_input, chat_type, draft.severity)
    if draft.assignee_id is not None:
        errors.check(workspace_member_input, draft.assignee_id, members, field="assignee_id")
    return _WorkItemFields(
        description=description or "",
        status=status,
        priority=priority,
        severity=severity,
        assignee_id=draft.assignee_id,
        due_date=errors.check(due_date_input, draft.due_date),
    )


def _check_participants(
    participant_ids: Sequence[str], members: Container[str], errors: FieldErrors
) -> None:
    if len(participant_ids) > EXTRA_PARTICIPANTS_MAX:
        errors.add("participant_ids", f"At most {EXTRA_PARTICIPANTS_MAX} participants")
        return
    for index, user_id in enumerate(participant_ids):
        errors.check(workspace_member_input, user_id, members, field=f"participant_ids[{index}]")


def _participants_added(actor_id: str, others: Sequence[str], now: datetime) -> list[DomainEvent]:
    """The creator as admin, then each other user once, as member."""
    added: list[DomainEvent] = [
        ChatParticipantAdded(
            user_id=actor_id, role=ParticipantRole.ADMIN, added_by=actor_id, joined_at=now
        )
    ]
    seen = {actor_id}
    for user_id in others:
        if user_id not in seen:
            seen.add(user_id)
            added.append(
                ChatParticipantAdded(
                    user_id=user_id, role=ParticipantRole.MEMBER, added_by=actor_id, joined_at=now
                )
            )
    return added


def create_chat(
    draft: NewChat,
    *,
    workspace_id: str,
    members: Container[str],
    actor_id: str,
    now: datetime,
    work_item_only: bool = False,
) -> list[DomainEvent]:
    """`POST W/chats` (type default discussion) or, with `work_item_only`, `POST W/tasks`
    (type default task, discussion refused). `members` holds the workspace member ids.

    Emits `chat.created`, then `chat.participant_added` for the creator (admin) and each other
    participant (member), a non-participant assignee last; duplicates are ignored.
    """
    errors = FieldErrors()
    if work_item_only:
        chat_type = errors.check(_work_item_type, draft.type or ChatType.TASK)
    else:
        chat_type = errors.check(type_input, draft.type or ChatType.DISCUSSION)
    required = chat_type is not None and chat_type.is_typed
    title = errors.check(title_input, draft.title or "", required=required)
    if chat_type is None:
        fields = _WorkItemFields()
    elif chat_type.is_typed:
        fields = _work_item_fields(chat_type, draft, members, errors)
    else:
        fields = _discussion_fields(draft, errors)
    _check_participants(draft.participant_ids, members, errors)
    errors.raise_if_any()
    assert chat_type is not None
    assert title is not None

    created = ChatCreated(
        workspace_id=workspace_id,
        chat_type=chat_type,
        title=title,
        description=fields.description,
        is_public=draft.is_public,
        created_by=actor_id,
        created_at=now,
        status=fields.status,
        priority=fields.priority,
        severity=fields.severity,
        assignee_id=fields.assignee_id,
        due_date=fields.due_date,
    )
    others = [*draft.participant_ids, *([fields.assignee_id] if fields.assignee_id else [])]
    return [created, *_participants_added(actor_id, others, now)]
