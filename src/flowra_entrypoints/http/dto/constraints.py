"""The field rules the API validates at its edge, as msgspec annotations: msgspec enforces them
while decoding a body or a parameter (422 on the field), and the OpenAPI document shows the
same annotations as JSON Schema (`minLength`, `maximum`, `pattern`, `format`), so the document
and the validation are one source. The core re-checks what it owns (trimming, existence,
state); nothing it accepts is refused here, and nothing refused here would pass the core.

Enums are case-insensitive on input and may carry surrounding blanks (the core trims and
casefolds), so they are patterns rather than `enum` lists; outputs are canonical.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated

from msgspec import Meta

from flowra_core.app.chats.queries import CHAT_EVENT_TYPES
from flowra_core.app.pagination import MAX_LIMIT
from flowra_core.domain.chat.vocabulary import (
    ChatType,
    ParticipantRole,
    Priority,
    Severity,
    Status,
    StatusCategory,
)
from flowra_core.domain.message.values import EMOJI_MAX_CHARS
from flowra_core.domain.notification.state import NotificationType
from flowra_core.domain.tags.grammar import DESCRIPTION_MAX_CHARS, TITLE_MAX_CHARS
from flowra_core.domain.user.rules import DISPLAY_NAME_MAX_LENGTH, USERNAME_MAX_LENGTH
from flowra_core.domain.workspace.rules import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH
from flowra_core.domain.workspace.state import InviteStatus, MemberRole
from flowra_core.ports.chats import ChatSort, TaskSort
from flowra_core.ports.search import SearchKind

_SPECIAL = frozenset(".^$*+?()[]{}|\\/")


def _any_case(value: str) -> str:
    """`To Do` → `[tT][oO] [dD][oO]`; escapes only what both Python and ECMA regexes need."""
    return "".join(
        f"[{c.lower()}{c.upper()}]"
        if c.lower() != c.upper()
        else ("\\" + c if c in _SPECIAL else c)
        for c in value
    )


def _alternatives(values: Iterable[str]) -> str:
    return "|".join(_any_case(value) for value in values)


def one_of(values: Iterable[str]) -> str:
    """A pattern for one value, any case, blanks around it allowed."""
    return rf"^\s*(?:{_alternatives(values)})\s*$"


def comma_list_of(values: Iterable[str]) -> str:
    """A pattern for a comma-separated list of values (empty items are ignored)."""
    item = rf"\s*(?:{_alternatives(values)})?\s*"
    return rf"^{item}(?:,{item})*$"


def _exactly(choices: Iterable[StrEnum]) -> str:
    escaped = ("".join("\\" + c if c in _SPECIAL else c for c in v.value) for v in choices)
    return "^(?:" + "|".join(escaped) + ")$"


def _enum(choices: Iterable[StrEnum], *extra: str) -> Meta:
    values = [choice.value for choice in choices] + list(extra)
    return Meta(pattern=one_of(values), description="One of: " + ", ".join(values) + " (any case)")


def _enum_list(choices: Iterable[StrEnum], *extra: str) -> Meta:
    values = [choice.value for choice in choices] + list(extra)
    return Meta(
        pattern=comma_list_of(values),
        description="Comma-separated, any of: " + ", ".join(values) + " (any case)",
    )


# Ids are UUIDs; an id that names nothing is a 404 (or 422 for a body field), not a format error.
Id = Annotated[str, Meta(extra_json_schema={"format": "uuid"})]
# An id the server checks only by form (a filter naming nothing would just match nothing).
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Uuid = Annotated[str, Meta(pattern=_UUID, extra_json_schema={"format": "uuid"})]
Limit = Annotated[int, Meta(ge=1, le=MAX_LIMIT, description=f"Page size, 1–{MAX_LIMIT}")]
Cursor = Annotated[str, Meta(description="`next_cursor` of the previous page")]

# "1–N characters after trimming": at most N as sent, and at least one non-blank.
_NOT_BLANK = r"\S"
WorkspaceName = Annotated[str, Meta(min_length=1, max_length=NAME_MAX_LENGTH, pattern=_NOT_BLANK)]
WorkspaceDescription = Annotated[str, Meta(max_length=DESCRIPTION_MAX_LENGTH)]
DisplayName = Annotated[
    str, Meta(min_length=1, max_length=DISPLAY_NAME_MAX_LENGTH, pattern=_NOT_BLANK)
]
# A discussion may have an empty title; a work item's needs one (the core's 422: it depends
# on the chat's type).
ChatTitle = Annotated[str, Meta(max_length=TITLE_MAX_CHARS)]
ChatDescription = Annotated[str, Meta(max_length=DESCRIPTION_MAX_CHARS)]

ChatTypeName = Annotated[str, _enum(ChatType)]
WorkItemTypeName = Annotated[str, _enum(t for t in ChatType if t.is_typed)]
StatusName = Annotated[str, _enum(Status)]
CategoryName = Annotated[str, _enum(StatusCategory)]
PriorityName = Annotated[str, _enum(Priority)]
SeverityName = Annotated[str, _enum(Severity)]
AssignableRole = Annotated[str, Meta(pattern=one_of(["admin", "member"]))]
ParticipantRoleName = Annotated[str, _enum(ParticipantRole)]
InviteStatusName = Annotated[str, _enum(InviteStatus)]
NotificationTypeName = Annotated[str, _enum(NotificationType)]
# Sort orders are matched exactly by the core (not case-insensitively like other enums).
ChatSortName = Annotated[str, Meta(pattern=_exactly(ChatSort))]
TaskSortName = Annotated[str, Meta(pattern=_exactly(TaskSort))]

ChatTypeList = Annotated[str, _enum_list(ChatType)]
WorkItemTypeList = Annotated[str, _enum_list(t for t in ChatType if t.is_typed)]
StatusList = Annotated[str, _enum_list(Status)]
CategoryList = Annotated[str, _enum_list(StatusCategory)]
PriorityList = Annotated[str, _enum_list(Priority, "none")]
SeverityList = Annotated[str, _enum_list(Severity)]

# `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` or RFC 3339 with an offset (http-api.md §1); a date that
# does not exist (`2026-02-30`) is the core's 422.
_DATE = r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_OFFSET = r"(?:[Zz]|[+-][01][0-9]:[0-5][0-9])"
_TIME = rf"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:(?:\.[0-9]+)?{_OFFSET})?)?"
DateInput = Annotated[
    str,
    Meta(
        pattern=rf"^{_DATE}(?:[Tt]{_TIME})?$",
        description="YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] or RFC 3339; no offset means UTC",
    ),
]

MessageContent = Annotated[str, Meta(max_length=10_000)]
DevUsername = Annotated[str, Meta(pattern=rf"^[A-Za-z0-9._-]{{1,{USERNAME_MAX_LENGTH}}}$")]
Email = Annotated[str, Meta(pattern=r"^[^@]*@[\s\S]*\.", description="'@' and later a '.'")]
MemberRoleName = Annotated[str, _enum(MemberRole)]
SearchText = Annotated[str, Meta(min_length=2, max_length=200)]
# At least one kind named (the core refuses a list of blanks).
SearchKindList = Annotated[
    str,
    Meta(
        pattern=rf"^(?:\s*(?:{_alternatives(k.value for k in SearchKind)})?\s*,)*"
        rf"\s*(?:{_alternatives(k.value for k in SearchKind)})\s*"
        rf"(?:,\s*(?:{_alternatives(k.value for k in SearchKind)})?\s*)*$",
        description="Comma-separated, at least one of: message, chat, task (any case)",
    ),
]

# A reaction: 1–32 characters, none of them blank (the core's rule on the path segment).
Emoji = Annotated[
    str, Meta(min_length=1, max_length=EMOJI_MAX_CHARS, pattern=r"^\S+$", description="An emoji")
]
# `chat.*` event names, matched exactly, comma-separated (empty items are ignored).
_EVENT = "|".join(
    sorted("".join("\\" + c if c in _SPECIAL else c for c in t) for t in CHAT_EVENT_TYPES)
)
ChatEventList = Annotated[
    str,
    Meta(
        pattern=rf"^\s*(?:{_EVENT})?\s*(?:,\s*(?:{_EVENT})?\s*)*$",
        description="Comma-separated chat event names ("
        + ", ".join(sorted(CHAT_EVENT_TYPES))
        + ")",
    ),
]
