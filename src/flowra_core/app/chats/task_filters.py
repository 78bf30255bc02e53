"""The filters and sorts of `GET W/tasks` (and the board's subset), from query-string text to a
`TaskQuery`: comma lists are OR within a filter, different filters AND. `me` names the caller
and `none` an empty field; an unknown value is a 422 on the parameter's name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from flowra_core.app.actor import Actor
from flowra_core.app.list_filters import canonical, comma_list, parse_values, text_filter
from flowra_core.app.pagination import fingerprint
from flowra_core.domain.chat import (
    ChatType,
    Status,
    parse_category,
    parse_chat_type,
    parse_priority,
    parse_severity,
)
from flowra_core.domain.errors import ValidationFailed
from flowra_core.ports.chats import NullableFilter, TaskQuery, TaskSort

_T = TypeVar("_T")
_S = TypeVar("_S", bound=str)

ME = "me"
NONE = "none"
DEFAULT_TASK_SORT = TaskSort.CREATED_AT_DESC


@dataclass(frozen=True, slots=True)
class TaskFilters:
    """The filter parameters of `GET W/tasks` as given (comma lists unsplit); None = absent."""

    type: str | None = None
    status: str | None = None
    category: str | None = None
    assignee: str | None = None
    priority: str | None = None
    severity: str | None = None
    created_by: str | None = None
    overdue: bool | None = None
    q: str | None = None


def _work_item_type(text: str) -> ChatType:
    chat_type = parse_chat_type(text)
    if not chat_type.is_typed:
        raise ValueError(f"'{text}' is not a work item type. Allowed: task, bug, epic")
    return chat_type


def _any_status(text: str) -> Status:
    """Any canonical status name, `Closed` included (case-insensitive)."""
    wanted = text.strip().casefold()
    found = next((status for status in Status if status.value.casefold() == wanted), None)
    if found is None:
        allowed = ", ".join(status.value for status in Status)
        raise ValueError(f"'{text}' is not a status. Allowed: {allowed}")
    return found


def _user_ids(text: str | None, actor: Actor) -> frozenset[str] | None:
    items = comma_list(text)
    if items is None:
        return None
    return frozenset(actor.user_id if item.lower() == ME else item for item in items)


def _nullable(
    text: str | None, parse: Callable[[str], _T], field: str
) -> NullableFilter[_T] | None:
    items = comma_list(text)
    if items is None:
        return None
    include_none = any(item.lower() == NONE for item in items)
    rest = ",".join(item for item in items if item.lower() != NONE)
    return NullableFilter(parse_values(rest, parse, field) or frozenset(), include_none)


def task_sort(text: str | None) -> TaskSort:
    if text is None or not text.strip():
        return DEFAULT_TASK_SORT
    try:
        return TaskSort(text.strip())
    except ValueError:
        allowed = ", ".join(sort.value for sort in TaskSort)
        raise ValidationFailed.single("sort", f"must be one of {allowed}") from None


def task_query(
    filters: TaskFilters, *, workspace_id: str, actor: Actor, sort: TaskSort, now: datetime
) -> TaskQuery:
    return TaskQuery(
        workspace_id=workspace_id,
        reader_id=None if actor.is_system_admin else actor.user_id,
        sort=sort,
        now=now,
        types=parse_values(filters.type, _work_item_type, "type"),
        statuses=parse_values(filters.status, _any_status, "status"),
        categories=parse_values(filters.category, parse_category, "category"),
        assignees=_nullable(
            filters.assignee, lambda item: actor.user_id if item.lower() == ME else item, "assignee"
        ),
        priorities=_nullable(filters.priority, parse_priority, "priority"),
        severities=parse_values(filters.severity, parse_severity, "severity"),
        created_by=_user_ids(filters.created_by, actor),
        overdue=filters.overdue,
        text_contains=text_filter(filters.q),
    )


def _nullable_canonical(values: NullableFilter[_S] | None) -> list[str] | None:
    if values is None:
        return None
    return [*sorted(values.values), *([NONE] if values.include_none else [])]


def task_fingerprint(query: TaskQuery) -> str:
    """The list a cursor belongs to: the board's column cursors carry the fingerprint of
    `W/tasks?category=<c>&sort=board` with the board's filters, so they continue there."""
    return fingerprint(
        "tasks",
        workspace_id=query.workspace_id,
        sort=query.sort.value,
        types=canonical(query.types),
        statuses=canonical(query.statuses),
        categories=canonical(query.categories),
        assignees=_nullable_canonical(query.assignees),
        priorities=_nullable_canonical(query.priorities),
        severities=canonical(query.severities),
        created_by=canonical(query.created_by),
        overdue=query.overdue,
        q=query.text_contains,
    )
