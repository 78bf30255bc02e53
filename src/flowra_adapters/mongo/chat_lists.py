"""The chat list queries as MongoDB filters and sorts.

Each sort order of `flowra_core.ports.chats` is served from scalar fields stored beside the
chat state (`chat_sort_fields`), one per component of the order's key. `_ORDERS` maps each key
component to its field and direction; a component that the port's key holds negated or
flipped (the board's `-priority rank`) is turned back into the stored value for the keyset
filter, so the cursors the app hands out work unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from flowra_adapters.mongo.database import Document
from flowra_adapters.mongo.queries import SortSpec, combine, contains_text, keyset_after
from flowra_core.domain.chat.state import Chat
from flowra_core.domain.chat.vocabulary import ChatType, StatusCategory
from flowra_core.ports.chats import (
    ChatListQuery,
    ChatSort,
    NullableFilter,
    SortKey,
    TaskQuery,
    TaskSort,
    micros,
)

TYPED_CHAT_TYPES = frozenset(chat_type for chat_type in ChatType if chat_type.is_typed)


def chat_sort_fields(chat: Chat, last_activity_at: datetime) -> Document:
    """The derived fields the list filters and sorts read; never null, so ranges compare."""
    due = chat.due_date
    priority = chat.priority
    return {
        "participant_ids": [participant.user_id for participant in chat.participants],
        "category": None if chat.category is None else chat.category.value,
        "title_lower": chat.title.lower(),
        "last_activity_at": last_activity_at,
        "sort_activity": micros(last_activity_at),
        "sort_created": micros(chat.created_at),
        "sort_updated": micros(chat.updated_at),
        "sort_due_missing": 1 if due is None else 0,
        "sort_due": 0 if due is None else micros(due),
        "sort_priority_missing": 1 if priority is None else 0,
        "sort_priority_rank": 0 if priority is None else priority.rank,
    }


def _same(value: Any) -> Any:
    return value


def _negated(value: Any) -> Any:
    return -value


def _flipped(value: Any) -> Any:
    return 1 - value


@dataclass(frozen=True, slots=True)
class _Component:
    field: str
    direction: int
    stored: Callable[[Any], Any] = _same  # the port's key component → the stored value


def _up(field: str, stored: Callable[[Any], Any] = _same) -> _Component:
    return _Component(field, ASCENDING, stored)


def _down(field: str, stored: Callable[[Any], Any] = _same) -> _Component:
    return _Component(field, DESCENDING, stored)


_ID_UP = _up("_id")
_ID_DOWN = _down("_id")

_ORDERS: Mapping[ChatSort | TaskSort, tuple[_Component, ...]] = {
    ChatSort.LAST_ACTIVITY_DESC: (_down("sort_activity"), _ID_DOWN),
    ChatSort.CREATED_AT_DESC: (_down("sort_created"), _ID_DOWN),
    ChatSort.TITLE: (_up("title_lower"), _ID_UP),
    # (-rank, due missing, due, -created, id), ascending
    TaskSort.BOARD: (
        _down("sort_priority_rank", _negated),
        _up("sort_due_missing"),
        _up("sort_due"),
        _down("sort_created", _negated),
        _ID_UP,
    ),
    TaskSort.CREATED_AT: (_up("sort_created"), _ID_UP),
    TaskSort.CREATED_AT_DESC: (_down("sort_created"), _ID_DOWN),
    TaskSort.UPDATED_AT: (_up("sort_updated"), _ID_UP),
    TaskSort.UPDATED_AT_DESC: (_down("sort_updated"), _ID_DOWN),
    # (due missing, due, id), ascending
    TaskSort.DUE_DATE: (_up("sort_due_missing"), _up("sort_due"), _ID_UP),
    # (due present, due, id), descending: present first = missing ascending
    TaskSort.DUE_DATE_DESC: (_up("sort_due_missing", _flipped), _down("sort_due"), _ID_DOWN),
    TaskSort.PRIORITY: (_up("sort_priority_missing"), _up("sort_priority_rank"), _ID_UP),
    TaskSort.PRIORITY_DESC: (
        _up("sort_priority_missing", _flipped),
        _down("sort_priority_rank"),
        _ID_DOWN,
    ),
    TaskSort.TITLE: (_up("title_lower"), _ID_UP),
    TaskSort.TITLE_DESC: (_down("title_lower"), _ID_DOWN),
}


def sort_spec(sort: ChatSort | TaskSort) -> SortSpec:
    return [(part.field, part.direction) for part in _ORDERS[sort]]


def after_filter(sort: ChatSort | TaskSort, after: SortKey | None) -> Document:
    if after is None:
        return {}
    parts = _ORDERS[sort]
    return keyset_after(
        sort_spec(sort), [part.stored(v) for part, v in zip(parts, after, strict=True)]
    )


def _live(workspace_id: str) -> Document:
    return {"workspace_id": workspace_id, "deleted_at": None}


def _readable(reader_id: str | None) -> Document:
    if reader_id is None:
        return {}
    return {"$or": [{"is_public": True}, {"participant_ids": reader_id}]}


def readable_filter(workspace_id: str, reader_id: str | None) -> Document:
    """Live chats of the workspace that the reader may read (None: every one)."""
    return combine(_live(workspace_id), _readable(reader_id))


def participant_filter(workspace_id: str, user_id: str) -> Document:
    return _live(workspace_id) | {"participant_ids": user_id}


def _values(values: frozenset[Any]) -> Document:
    return {"$in": sorted(str(value) for value in values)}


def _nullable(values: NullableFilter[Any]) -> Document:
    wanted: list[Any] = sorted(str(value) for value in values.values)
    return {"$in": [*wanted, None] if values.include_none else wanted}


def chat_list_filter(query: ChatListQuery) -> Document:
    fields: Document = {}
    if query.types is not None:
        fields["type"] = _values(query.types)
    if query.title_contains is not None:
        fields["title"] = contains_text(query.title_contains)
    if query.participant_id is not None:
        fields["participant_ids"] = query.participant_id
    return combine(_live(query.workspace_id), _readable(query.reader_id), fields)


def _overdue(now: datetime, overdue: bool) -> Document:
    done = StatusCategory.DONE.value
    if overdue:
        return {"due_date": {"$lt": now}, "category": {"$ne": done}}
    return {"$or": [{"due_date": None}, {"due_date": {"$gte": now}}, {"category": done}]}


def _text(text: str) -> Document:
    pattern = contains_text(text)
    return {"$or": [{"title": pattern}, {"description": pattern}]}


def task_filter(query: TaskQuery) -> Document:
    types = TYPED_CHAT_TYPES if query.types is None else query.types & TYPED_CHAT_TYPES
    fields: Document = {"type": _values(types)}
    if query.statuses is not None:
        fields["status"] = _values(query.statuses)
    if query.categories is not None:
        fields["category"] = _values(query.categories)
    if query.assignees is not None:
        fields["assignee_id"] = _nullable(query.assignees)
    if query.priorities is not None:
        fields["priority"] = _nullable(query.priorities)
    if query.severities is not None:
        fields["severity"] = _values(query.severities)
    if query.created_by is not None:
        fields["created_by"] = _values(query.created_by)
    return combine(
        _live(query.workspace_id),
        _readable(query.reader_id),
        fields,
        {} if query.overdue is None else _overdue(query.now, query.overdue),
        {} if query.text_contains is None else _text(query.text_contains),
    )
