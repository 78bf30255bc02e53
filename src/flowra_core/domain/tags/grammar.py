"""Tag grammar (tags.md §2, G1–G8), the tag catalogue (§3) and the first E8 check.

Decisions where the spec leaves room (all follow its wording literally):
- "Whitespace" is a space or a tab everywhere: for trimming lines (G1) and values (G6) and for
  ending a name (G2, G4). Other characters, a lone `\\r` included, are ordinary text.
- Only a *space* before `#[a-z]` starts the next tag (G5): `#status Done\\t#priority High` is one
  status tag with the value `Done\\t#priority High`.
- Lengths (≤200 / ≤5000) are not checked here: E8 orders *_TOO_LONG after CHAT_DELETED, FORBIDDEN
  and NOT_A_WORK_ITEM, so the executor checks them using `TagSpec.max_length`.
- A tag past the 20th is TOO_MANY_TAGS even when its name is unknown: it is never looked at.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from flowra_core.domain.tags.replies import TagFailureCode

MAX_TAGS_PER_MESSAGE = 20
TITLE_MAX_CHARS = 200
DESCRIPTION_MAX_CHARS = 5000


class TagName(StrEnum):
    TASK = "task"
    BUG = "bug"
    EPIC = "epic"
    STATUS = "status"
    ASSIGNEE = "assignee"
    PRIORITY = "priority"
    DUE = "due"
    TITLE = "title"
    SEVERITY = "severity"
    DESCRIPTION = "description"
    INVITE = "invite"
    REMOVE = "remove"
    CLOSE = "close"
    REOPEN = "reopen"
    DELETE = "delete"


class ValuePolicy(StrEnum):
    REQUIRED = "required"  # empty value → VALUE_REQUIRED
    OPTIONAL = "optional"  # empty value has a meaning (unassign, remove due date, clear)
    NONE = "none"  # any value → VALUE_NOT_ALLOWED


class Permission(StrEnum):
    WRITE = "write"  # chat participant
    MANAGE = "manage"  # chat admin or workspace admin


@dataclass(frozen=True, slots=True)
class TagSpec:
    name: TagName
    value_policy: ValuePolicy
    permission: Permission
    requires_work_item: bool = False  # NOT_A_WORK_ITEM on a discussion
    max_length: int | None = None  # code points of the trimmed value
    too_long_code: TagFailureCode | None = None
    permission_on_discussion: Permission | None = None  # #title: manage on a discussion
    permission_on_self: Permission | None = None  # #remove of oneself: write


_REQ, _OPT, _NONE = ValuePolicy.REQUIRED, ValuePolicy.OPTIONAL, ValuePolicy.NONE
_WRITE, _MANAGE = Permission.WRITE, Permission.MANAGE
_TITLE_TOO_LONG = TagFailureCode.TITLE_TOO_LONG


def _by_name(*specs: TagSpec) -> Mapping[TagName, TagSpec]:
    return MappingProxyType({spec.name: spec for spec in specs})


TAG_CATALOGUE: Mapping[TagName, TagSpec] = _by_name(
    TagSpec(TagName.TASK, _REQ, _MANAGE, max_length=TITLE_MAX_CHARS, too_long_code=_TITLE_TOO_LONG),
    TagSpec(TagName.BUG, _REQ, _MANAGE, max_length=TITLE_MAX_CHARS, too_long_code=_TITLE_TOO_LONG),
    TagSpec(TagName.EPIC, _REQ, _MANAGE, max_length=TITLE_MAX_CHARS, too_long_code=_TITLE_TOO_LONG),
    TagSpec(TagName.STATUS, _REQ, _WRITE, requires_work_item=True),
    TagSpec(TagName.ASSIGNEE, _OPT, _WRITE, requires_work_item=True),
    TagSpec(TagName.PRIORITY, _REQ, _WRITE, requires_work_item=True),
    TagSpec(TagName.DUE, _OPT, _WRITE, requires_work_item=True),
    TagSpec(
        TagName.TITLE,
        _REQ,
        _WRITE,
        max_length=TITLE_MAX_CHARS,
        too_long_code=_TITLE_TOO_LONG,
        permission_on_discussion=_MANAGE,
    ),
    TagSpec(TagName.SEVERITY, _REQ, _WRITE, requires_work_item=True),
    TagSpec(
        TagName.DESCRIPTION,
        _OPT,
        _WRITE,
        requires_work_item=True,
        max_length=DESCRIPTION_MAX_CHARS,
        too_long_code=TagFailureCode.DESCRIPTION_TOO_LONG,
    ),
    TagSpec(TagName.INVITE, _REQ, _MANAGE),
    TagSpec(TagName.REMOVE, _REQ, _MANAGE, permission_on_self=_WRITE),
    TagSpec(TagName.CLOSE, _NONE, _WRITE, requires_work_item=True),
    TagSpec(TagName.REOPEN, _NONE, _WRITE, requires_work_item=True),
    TagSpec(TagName.DELETE, _NONE, _MANAGE),
)

WORK_ITEM_TAGS: frozenset[TagName] = frozenset(
    name for name, spec in TAG_CATALOGUE.items() if spec.requires_work_item
)
CONVERTING_TAGS: frozenset[TagName] = frozenset({TagName.TASK, TagName.BUG, TagName.EPIC})


def required_permission(
    spec: TagSpec, *, on_discussion: bool, targets_self: bool = False
) -> Permission:
    """The permission a tag needs, with the #title (discussion) and #remove (self) exceptions."""
    if targets_self and spec.permission_on_self is not None:
        return spec.permission_on_self
    if on_discussion and spec.permission_on_discussion is not None:
        return spec.permission_on_discussion
    return spec.permission


@dataclass(frozen=True, slots=True)
class ParsedTag:
    name: str  # as written, without `#`; may be unknown after the first tag of a line
    value: str  # trimmed; "" when absent


# G2: a tag line starts with `#` + a known (hence lowercase) name ended by whitespace or EOL.
_TAG_LINE_START = re.compile(r"#(?:" + "|".join(TagName) + r")(?:[ \t]|$)")
# G5: a space followed by `#` and a lowercase ASCII letter starts the next tag.
_NEXT_TAG = re.compile(r" (?=#[a-z])")
_NAME_END = re.compile(r"[ \t]")
_BLANKS = " \t"
_KNOWN_NAMES: frozenset[str] = frozenset(TagName)


def parse_tags(content: str) -> list[ParsedTag]:
    """All tags of all tag lines, in order of appearance (G1–G6)."""
    tags: list[ParsedTag] = []
    if "#" not in content:  # the common case: plain chat text
        return tags
    for raw_line in content.replace("\r\n", "\n").split("\n"):
        line = raw_line.strip(_BLANKS)
        if _TAG_LINE_START.match(line) is None:
            continue
        for tag_text in _NEXT_TAG.split(line):
            tags.append(_parse_tag(tag_text))
    return tags


def _parse_tag(tag_text: str) -> ParsedTag:
    """`tag_text` is `#name[ value]` with no further tag in it."""
    name_end = _NAME_END.search(tag_text)
    if name_end is None:
        return ParsedTag(tag_text[1:], "")
    return ParsedTag(tag_text[1 : name_end.start()], tag_text[name_end.start() :].strip(_BLANKS))


def has_tag_lines(content: str) -> bool:
    """Whether the message has ≥1 tag line, i.e. whether it gets a bot reply."""
    if "#" not in content:
        return False
    return any(
        _TAG_LINE_START.match(line.strip(_BLANKS)) is not None
        for line in content.replace("\r\n", "\n").split("\n")
    )


@dataclass(frozen=True, slots=True)
class PlannedCommand:
    """A tag to run: known name, trimmed value; its remaining E8 checks are the executor's."""

    tag: TagName
    value: str

    @property
    def name(self) -> str:
        return self.tag.value

    @property
    def spec(self) -> TagSpec:
        return TAG_CATALOGUE[self.tag]


@dataclass(frozen=True, slots=True)
class PlannedFailure:
    """A tag that fails before it runs."""

    name: str  # as written, for `❌ #<name>: …`
    value: str
    code: TagFailureCode


PlannedTag = PlannedCommand | PlannedFailure


def plan_commands(tags: Sequence[ParsedTag]) -> list[PlannedTag]:
    """One entry per tag, in order: G7 (UNKNOWN_TAG), G8 (TOO_MANY_TAGS), value policy (E8)."""
    return [_plan(index, tag) for index, tag in enumerate(tags)]


def _plan(index: int, tag: ParsedTag) -> PlannedTag:
    if index >= MAX_TAGS_PER_MESSAGE:
        return PlannedFailure(tag.name, tag.value, TagFailureCode.TOO_MANY_TAGS)
    if tag.name not in _KNOWN_NAMES:
        return PlannedFailure(tag.name, tag.value, TagFailureCode.UNKNOWN_TAG)
    name = TagName(tag.name)
    policy = TAG_CATALOGUE[name].value_policy
    if policy is ValuePolicy.REQUIRED and not tag.value:
        return PlannedFailure(tag.name, tag.value, TagFailureCode.VALUE_REQUIRED)
    if policy is ValuePolicy.NONE and tag.value:
        return PlannedFailure(tag.name, tag.value, TagFailureCode.VALUE_NOT_ALLOWED)
    return PlannedCommand(name, tag.value)
