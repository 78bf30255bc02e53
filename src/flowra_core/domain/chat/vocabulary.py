"""The chat vocabularies of domain.md §3: types, statuses and their categories, priorities,
severities and participant roles, with the parsers that turn user input into canonical values.

Parsers match case-insensitively after trimming and raise `ValueError` whose message is the
human sentence shown to users (`'x' is not a status of a task. Allowed: To Do, In Progress, Done`).
"""

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final, TypeVar


class ChatType(StrEnum):
    DISCUSSION = "discussion"
    TASK = "task"
    BUG = "bug"
    EPIC = "epic"

    @property
    def is_typed(self) -> bool:
        """Task, bug and epic chats are work items; a discussion is not."""
        return self is not ChatType.DISCUSSION


class StatusCategory(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    REVIEW = "review"
    DONE = "done"

    @property
    def board_title(self) -> str:
        """The board column title ("To Do", "In Progress", "Review", "Done")."""
        return _CATEGORY_TITLES[self]


_CATEGORY_TITLES: Final[Mapping[StatusCategory, str]] = MappingProxyType(
    {
        StatusCategory.TODO: "To Do",
        StatusCategory.IN_PROGRESS: "In Progress",
        StatusCategory.REVIEW: "Review",
        StatusCategory.DONE: "Done",
    }
)


class Status(StrEnum):
    """Every status of every type; `In Progress` is shared by task and epic."""

    TO_DO = "To Do"
    IN_PROGRESS = "In Progress"
    DONE = "Done"
    NEW = "New"
    INVESTIGATING = "Investigating"
    FIXED = "Fixed"
    VERIFIED = "Verified"
    PLANNED = "Planned"
    COMPLETED = "Completed"
    CLOSED = "Closed"


CLOSED: Final = Status.CLOSED
"""Reached only through close; never accepted as a status input."""

_CATEGORY_OF_STATUS: Final[Mapping[Status, StatusCategory]] = MappingProxyType(
    {
        Status.TO_DO: StatusCategory.TODO,
        Status.IN_PROGRESS: StatusCategory.IN_PROGRESS,
        Status.DONE: StatusCategory.DONE,
        Status.NEW: StatusCategory.TODO,
        Status.INVESTIGATING: StatusCategory.IN_PROGRESS,
        Status.FIXED: StatusCategory.REVIEW,
        Status.VERIFIED: StatusCategory.DONE,
        Status.PLANNED: StatusCategory.TODO,
        Status.COMPLETED: StatusCategory.DONE,
        Status.CLOSED: StatusCategory.DONE,
    }
)

STATUSES: Final[Mapping[ChatType, tuple[Status, ...]]] = MappingProxyType(
    {
        ChatType.DISCUSSION: (),
        ChatType.TASK: (Status.TO_DO, Status.IN_PROGRESS, Status.DONE),
        ChatType.BUG: (Status.NEW, Status.INVESTIGATING, Status.FIXED, Status.VERIFIED),
        ChatType.EPIC: (Status.PLANNED, Status.IN_PROGRESS, Status.COMPLETED),
    }
)
"""The settable statuses of each type, in board order; `Closed` is never among them."""


class Priority(StrEnum):
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"
    CRITICAL = "Critical"

    @property
    def rank(self) -> int:
        """1 for Low up to 4 for Critical, for sorting."""
        return list(Priority).index(self) + 1


class Severity(StrEnum):
    MINOR = "Minor"
    MAJOR = "Major"
    CRITICAL = "Critical"
    BLOCKER = "Blocker"

    @property
    def rank(self) -> int:
        """1 for Minor up to 4 for Blocker, for sorting."""
        return list(Severity).index(self) + 1


class ParticipantRole(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


_E = TypeVar("_E", bound=StrEnum)


def _match(text: str, choices: Iterable[_E]) -> _E | None:
    wanted = text.strip().casefold()
    return next((choice for choice in choices if choice.value.casefold() == wanted), None)


def _allowed(choices: Iterable[StrEnum]) -> str:
    return ", ".join(choice.value for choice in choices)


def _parse(text: str, choices: Iterable[_E], noun: str) -> _E:
    options = tuple(choices)
    found = _match(text, options)
    if found is None:
        raise ValueError(f"'{text}' is not {noun}. Allowed: {_allowed(options)}")
    return found


def parse_chat_type(text: str) -> ChatType:
    return _parse(text, ChatType, "a chat type")


def parse_status(chat_type: ChatType, text: str) -> Status:
    """A settable status of `chat_type`; `Closed` and statuses of other types are refused."""
    allowed = STATUSES[chat_type]
    if not allowed:
        raise ValueError(f"a {chat_type} has no status")
    return _parse(text, allowed, f"a status of a {chat_type}")


def parse_category(text: str) -> StatusCategory:
    return _parse(text, StatusCategory, "a status category")


def parse_priority(text: str) -> Priority:
    return _parse(text, Priority, "a priority")


def parse_severity(text: str) -> Severity:
    return _parse(text, Severity, "a severity")


def parse_role(text: str) -> ParticipantRole:
    return _parse(text, ParticipantRole, "a participant role")


def category_of(status: Status) -> StatusCategory:
    return _CATEGORY_OF_STATUS[status]


def default_status(chat_type: ChatType) -> Status:
    """The initial status of a work item: the first of its type."""
    statuses = STATUSES[chat_type]
    if not statuses:
        raise ValueError(f"a {chat_type} has no status")
    return statuses[0]


def first_status_in_category(chat_type: ChatType, category: StatusCategory) -> Status | None:
    """The first settable status of the type in that category, or None if it has none."""
    return next((s for s in STATUSES[chat_type] if category_of(s) is category), None)


def map_status_for_conversion(
    old_type: ChatType, new_type: ChatType, status: Status | None
) -> Status:
    """The status a work item takes on conversion: same category if the target has one, else
    the target default. From a discussion (no status) it is always the target default."""
    if old_type.is_typed and status is not None:
        mapped = first_status_in_category(new_type, category_of(status))
        if mapped is not None:
            return mapped
    return default_status(new_type)
