"""Chat documents: the chat state plus the activity fields that follow its messages, and the
list queries of `W/chats`, `W/tasks` and `W/board`.

Every list is a keyset page: the filters, a sort order, the key of the last row already
returned (`after`) and a limit. `chat_order` and `task_order` fix each order's key, so an
adapter and the cursors the app hands out agree. A MongoDB adapter serves them from the
`chats` indexes of operations.md §6 ((workspace_id, deleted_at, last_activity_at),
(workspace_id, type, category, deleted_at), (workspace_id, assignee_id, status),
(participant_ids), (workspace_id, created_at)), storing the derived sort fields beside the state.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from flowra_core.domain.chat.state import Chat
from flowra_core.domain.chat.vocabulary import (
    ChatType,
    Priority,
    Severity,
    Status,
    StatusCategory,
)
from flowra_core.ports.state_store import StateStore

SortKey = tuple[int | str, ...]
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ChatRecord:
    """A chat as lists show it: the state plus the time of its newest live message, and
    `timeline_version`, which changes whenever a message of the chat is created, edited or
    deleted (None when not read with the chat): cached unread counts are valid while it
    stays the same."""

    chat: Chat
    last_message_at: datetime | None = None
    timeline_version: int | None = None

    @property
    def last_activity_at(self) -> datetime:
        """max(updated_at, last_message_at): what `-last_activity_at` sorts on."""
        if self.last_message_at is None:
            return self.chat.updated_at
        return max(self.chat.updated_at, self.last_message_at)


@dataclass(frozen=True, slots=True)
class SortOrder:
    """Rows are ordered by `key` (ascending, or descending when `descending`); `key` ends
    with the chat id, so no two rows tie and a page boundary is exact."""

    key: Callable[[ChatRecord], SortKey]
    key_type: Any  # the key's shape, for decoding a cursor: tuple[int, str], …
    descending: bool = False


class ChatSort(StrEnum):
    LAST_ACTIVITY_DESC = "-last_activity_at"
    CREATED_AT_DESC = "-created_at"
    TITLE = "title"


class TaskSort(StrEnum):
    BOARD = "board"
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
    UPDATED_AT = "updated_at"
    UPDATED_AT_DESC = "-updated_at"
    DUE_DATE = "due_date"
    DUE_DATE_DESC = "-due_date"
    PRIORITY = "priority"
    PRIORITY_DESC = "-priority"
    TITLE = "title"
    TITLE_DESC = "-title"


@dataclass(frozen=True, slots=True)
class NullableFilter(Generic[_T]):
    """Matches a field whose value is one of `values`, or which is empty when `include_none`
    (`assignee=me,none`, `priority=High,none`)."""

    values: frozenset[_T]
    include_none: bool = False

    def matches(self, value: _T | None) -> bool:
        return self.include_none if value is None else value in self.values


@dataclass(frozen=True, slots=True)
class ChatListQuery:
    """`GET W/chats`: live chats of one workspace the reader may read."""

    workspace_id: str
    reader_id: str | None  # public chats and the reader's own; None = every chat (sysadmin)
    sort: ChatSort
    types: frozenset[ChatType] | None = None
    title_contains: str | None = None  # case-insensitive literal substring
    participant_id: str | None = None  # `joined=true`: only chats this user takes part in


@dataclass(frozen=True, slots=True)
class TaskQuery:
    """`GET W/tasks` and the board: live typed chats the reader may read. Each filter that is
    not None must hold (AND); inside a filter any value may match (OR)."""

    workspace_id: str
    reader_id: str | None
    sort: TaskSort
    now: datetime  # for `overdue`
    types: frozenset[ChatType] | None = None
    statuses: frozenset[Status] | None = None
    categories: frozenset[StatusCategory] | None = None
    assignees: NullableFilter[str] | None = None
    priorities: NullableFilter[Priority] | None = None
    severities: frozenset[Severity] | None = None
    created_by: frozenset[str] | None = None
    overdue: bool | None = None  # due_date < now and category ≠ done
    text_contains: str | None = None  # case-insensitive literal, in title or description


class ChatStore(StateStore[Chat], Protocol):
    async def get_many(self, chat_ids: Collection[str]) -> Mapping[str, Chat]: ...

    async def raise_last_message_at(self, chat_id: str, at: datetime) -> None:
        """A live top-level message was posted at `at`: the chat's last message time becomes at
        least that (one write, safe to repeat), and `timeline_version` moves on."""
        ...

    async def set_last_message_at(self, chat_id: str, at: datetime | None) -> None:
        """Time of the newest non-deleted message (a projection of message events); it also
        moves the chat's `timeline_version` on."""
        ...

    async def timeline_changed(self, chat_id: str) -> None:
        """Move `timeline_version` on (a message was edited: its mentions may differ). Only
        ever compared for equality, so a replay moving it once more costs a recount only."""
        ...

    async def last_message_at(self, chat_ids: Collection[str]) -> Mapping[str, datetime]:
        """The known times for the chats that have messages."""
        ...

    async def ids_with_participant(self, workspace_id: str, user_id: str) -> Sequence[str]:
        """Live chats of the workspace where the user is a participant."""
        ...

    async def readable_ids(self, workspace_id: str, user_id: str | None) -> Sequence[str]:
        """Live chats of the workspace the user may read as a member: public ones and those
        they take part in. `None` means every live chat (a system admin)."""
        ...

    async def list_chats(
        self, query: ChatListQuery, *, after: SortKey | None, limit: int
    ) -> Sequence[ChatRecord]:
        """At most `limit` matching rows in `chat_order(query.sort)`, after the key `after`."""
        ...

    async def list_tasks(
        self, query: TaskQuery, *, after: SortKey | None, limit: int
    ) -> Sequence[ChatRecord]:
        """At most `limit` matching work items in `task_order(query.sort)`, after `after`."""
        ...

    async def count_tasks(self, query: TaskQuery) -> int:
        """How many work items match (the sort is irrelevant): a board column's `count`."""
        ...

    async def count_tasks_by_category(self, query: TaskQuery) -> Mapping[StatusCategory, int]:
        """`count_tasks` per status category, in one query: the board's column counts.
        Categories without a match may be absent."""
        ...


def is_overdue(chat: Chat, now: datetime) -> bool:
    """Due before `now` and not in the done category (http-api.md ChatSummary `is_overdue`)."""
    return (
        chat.due_date is not None
        and chat.due_date < now
        and chat.category is not StatusCategory.DONE
    )


def micros(moment: datetime) -> int:
    """A timestamp as whole microseconds since the epoch: exact, and JSON-safe in a cursor."""
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _title(record: ChatRecord) -> SortKey:
    return (record.chat.title.lower(), record.chat.id)


def _created(record: ChatRecord) -> SortKey:
    return (micros(record.chat.created_at), record.chat.id)


def _updated(record: ChatRecord) -> SortKey:
    return (micros(record.chat.updated_at), record.chat.id)


def _activity(record: ChatRecord) -> SortKey:
    return (micros(record.last_activity_at), record.chat.id)


def _rank(priority: Priority | None) -> int:
    return 0 if priority is None else priority.rank


def _board(record: ChatRecord) -> SortKey:
    """Priority desc (none last), due date asc (none last), created_at desc."""
    chat = record.chat
    due = chat.due_date
    return (
        -_rank(chat.priority),
        1 if due is None else 0,
        0 if due is None else micros(due),
        -micros(chat.created_at),
        chat.id,
    )


# Items without a due date or priority come last in both directions.
def _due_ascending(record: ChatRecord) -> SortKey:
    due = record.chat.due_date
    return (1 if due is None else 0, 0 if due is None else micros(due), record.chat.id)


def _due_descending(record: ChatRecord) -> SortKey:
    due = record.chat.due_date
    return (0 if due is None else 1, 0 if due is None else micros(due), record.chat.id)


def _priority_ascending(record: ChatRecord) -> SortKey:
    priority = record.chat.priority
    return (1 if priority is None else 0, _rank(priority), record.chat.id)


def _priority_descending(record: ChatRecord) -> SortKey:
    priority = record.chat.priority
    return (0 if priority is None else 1, _rank(priority), record.chat.id)


_TIME_KEY = tuple[int, str]
_TEXT_KEY = tuple[str, str]
_FLAGGED_KEY = tuple[int, int, str]

_CHAT_ORDERS: Mapping[ChatSort, SortOrder] = {
    ChatSort.LAST_ACTIVITY_DESC: SortOrder(_activity, _TIME_KEY, descending=True),
    ChatSort.CREATED_AT_DESC: SortOrder(_created, _TIME_KEY, descending=True),
    ChatSort.TITLE: SortOrder(_title, _TEXT_KEY),
}

_TASK_ORDERS: Mapping[TaskSort, SortOrder] = {
    TaskSort.BOARD: SortOrder(_board, tuple[int, int, int, int, str]),
    TaskSort.CREATED_AT: SortOrder(_created, _TIME_KEY),
    TaskSort.CREATED_AT_DESC: SortOrder(_created, _TIME_KEY, descending=True),
    TaskSort.UPDATED_AT: SortOrder(_updated, _TIME_KEY),
    TaskSort.UPDATED_AT_DESC: SortOrder(_updated, _TIME_KEY, descending=True),
    TaskSort.DUE_DATE: SortOrder(_due_ascending, _FLAGGED_KEY),
    TaskSort.DUE_DATE_DESC: SortOrder(_due_descending, _FLAGGED_KEY, descending=True),
    TaskSort.PRIORITY: SortOrder(_priority_ascending, _FLAGGED_KEY),
    TaskSort.PRIORITY_DESC: SortOrder(_priority_descending, _FLAGGED_KEY, descending=True),
    TaskSort.TITLE: SortOrder(_title, _TEXT_KEY),
    TaskSort.TITLE_DESC: SortOrder(_title, _TEXT_KEY, descending=True),
}


def chat_order(sort: ChatSort) -> SortOrder:
    return _CHAT_ORDERS[sort]


def task_order(sort: TaskSort) -> SortOrder:
    return _TASK_ORDERS[sort]
