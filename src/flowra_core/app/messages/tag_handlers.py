"""One handler per tag of the catalogue (tags.md §3). Each runs the chat command the matching
REST call runs (`PATCH C` for the fields, `C/convert`, `C/close`, …), so permissions and rules
are those of the REST API, and returns the ✅ text. A refusal surfaces as the command's error;
the executor turns it into the tag's failure code.

A `@username` that is malformed or names no workspace member is passed on as an id no member
has: the command then refuses it at the point where it checks referenced users, so the E8
order (permission → work item → value → users → state) holds without checking anything twice.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flowra_core.app.actor import Actor
from flowra_core.app.chats.change import ChatChange
from flowra_core.app.chats.commands import ChatCommands
from flowra_core.domain.chat import ChatChanges
from flowra_core.domain.errors import DomainError, ErrorCode, ValidationFailed
from flowra_core.domain.tags.grammar import TagName
from flowra_core.domain.tags.replies import (
    ASSIGNEE_REMOVED_TEXT,
    CHAT_DELETED_TEXT,
    CLOSED_TEXT,
    DESCRIPTION_CLEARED_TEXT,
    DESCRIPTION_UPDATED_TEXT,
    DUE_DATE_REMOVED_TEXT,
    TagFailureCode,
    UnchangedField,
    assigned_text,
    converted_text,
    due_date_set_text,
    participant_added_text,
    participant_removed_text,
    priority_set_text,
    reopened_text,
    severity_set_text,
    status_changed_text,
    title_changed_text,
    unchanged_text,
)
from flowra_core.domain.user.state import User
from flowra_core.ports.users import UserStore

_USERNAME = re.compile(r"@([A-Za-z0-9._-]{1,64})")
_UNASSIGN = "@none"
# Never a user id (ids are UUIDs): stands for a user the value does not name.
UNRESOLVED_USER_ID = "@unresolved"


class TagRejectedError(Exception):
    """A tag failed for a reason only the tag layer can name (a bad or unknown @username)."""

    def __init__(self, code: TagFailureCode) -> None:
        super().__init__(code.value)
        self.code = code


@dataclass(frozen=True, slots=True)
class Applied:
    """A tag that succeeded: its ✅ text (without the mark) and whether anything changed."""

    text: str
    changed: bool


@dataclass(frozen=True, slots=True)
class TargetUser:
    """A `@username` value resolved among the workspace members."""

    user: User | None
    well_formed: bool

    @property
    def user_id(self) -> str:
        return UNRESOLVED_USER_ID if self.user is None else self.user.id

    @property
    def username(self) -> str:
        assert self.user is not None, "only a resolved user is reported as applied"
        return self.user.username

    def rejection(self) -> TagRejectedError:
        if not self.well_formed:
            return TagRejectedError(TagFailureCode.INVALID_USERNAME)
        return TagRejectedError(TagFailureCode.USER_NOT_FOUND)


@dataclass(frozen=True, slots=True)
class TagContext:
    """Who runs the tags of one message, where, and with which (summary-free) commands."""

    commands: ChatCommands
    users: UserStore
    actor: Actor
    workspace_id: str
    chat_id: str

    async def patch(self, changes: ChatChanges) -> ChatChange:
        return await self.commands.patch(self.actor, self.workspace_id, self.chat_id, changes)

    async def target(self, value: str) -> TargetUser:
        """Case-insensitive among the workspace members."""
        match = _USERNAME.fullmatch(value)
        if match is None:
            return TargetUser(None, well_formed=False)
        workspace = await self.commands.workspace(self.actor, self.workspace_id)
        user = await self.users.by_username(match.group(1))
        if user is None or workspace.member(user.id) is None:
            return TargetUser(None, well_formed=True)
        return TargetUser(user, well_formed=True)


Handler = Callable[[TagContext, TagName, str], Awaitable[Applied]]


def _outcome(
    change: ChatChange, applied: str, field: UnchangedField, current: str | datetime | None
) -> Applied:
    """The ✅ text when the command changed something, else `<Field> unchanged: <current>`."""
    if change.changed:
        return Applied(applied, True)
    return Applied(unchanged_text(field, current), False)


async def _convert(ctx: TagContext, tag: TagName, title: str) -> Applied:
    change = await ctx.commands.convert(ctx.actor, ctx.workspace_id, ctx.chat_id, tag, title)
    return Applied(converted_text(change.chat.type, change.chat.title), True)


async def _status(ctx: TagContext, _tag: TagName, value: str) -> Applied:
    chat = (change := await ctx.patch(ChatChanges(status=value))).chat
    return _outcome(
        change, status_changed_text(str(chat.status)), UnchangedField.STATUS, chat.status
    )


async def _priority(ctx: TagContext, _tag: TagName, value: str) -> Applied:
    chat = (change := await ctx.patch(ChatChanges(priority=value))).chat
    text = priority_set_text(str(chat.priority))
    return _outcome(change, text, UnchangedField.PRIORITY, chat.priority)


async def _severity(ctx: TagContext, _tag: TagName, value: str) -> Applied:
    chat = (change := await ctx.patch(ChatChanges(severity=value))).chat
    text = severity_set_text(str(chat.severity))
    return _outcome(change, text, UnchangedField.SEVERITY, chat.severity)


async def _title(ctx: TagContext, _tag: TagName, value: str) -> Applied:
    chat = (change := await ctx.patch(ChatChanges(title=value))).chat
    return _outcome(change, title_changed_text(chat.title), UnchangedField.TITLE, chat.title)


async def _description(ctx: TagContext, _tag: TagName, value: str) -> Applied:
    chat = (change := await ctx.patch(ChatChanges(description=value))).chat
    text = DESCRIPTION_UPDATED_TEXT if chat.description else DESCRIPTION_CLEARED_TEXT
    return _outcome(change, text, UnchangedField.DESCRIPTION, None)


async def _due(ctx: TagContext, _tag: TagName, value: str) -> Applied:
    chat = (change := await ctx.patch(ChatChanges(due_date=value or None))).chat
    text = DUE_DATE_REMOVED_TEXT if chat.due_date is None else due_date_set_text(chat.due_date)
    return _outcome(change, text, UnchangedField.DUE_DATE, chat.due_date)


async def _assignee(ctx: TagContext, _tag: TagName, value: str) -> Applied:
    if not value or value.lower() == _UNASSIGN:
        change = await ctx.patch(ChatChanges(assignee_id=None))
        return _outcome(change, ASSIGNEE_REMOVED_TEXT, UnchangedField.ASSIGNEE, None)
    target = await ctx.target(value)
    try:
        change = await ctx.patch(ChatChanges(assignee_id=target.user_id))
    except ValidationFailed as failed:  # the assignee is not a workspace member
        raise target.rejection() from failed
    shown = f"@{target.username}"
    return _outcome(change, assigned_text(target.username), UnchangedField.ASSIGNEE, shown)


async def _invite(ctx: TagContext, _tag: TagName, value: str) -> Applied:
    target = await ctx.target(value)
    try:
        await ctx.commands.add_participant(
            ctx.actor, ctx.workspace_id, ctx.chat_id, target.user_id, None
        )
    except ValidationFailed as failed:  # the user is not a workspace member
        raise target.rejection() from failed
    return Applied(participant_added_text(target.username), True)


async def _remove(ctx: TagContext, _tag: TagName, value: str) -> Applied:
    target = await ctx.target(value)
    try:
        await ctx.commands.remove_participant(
            ctx.actor, ctx.workspace_id, ctx.chat_id, target.user_id
        )
    except DomainError as error:
        if error.code is ErrorCode.PARTICIPANT_NOT_FOUND and target.user is None:
            raise target.rejection() from error
        raise
    return Applied(participant_removed_text(target.username), True)


async def _close(ctx: TagContext, _tag: TagName, _value: str) -> Applied:
    await ctx.commands.close(ctx.actor, ctx.workspace_id, ctx.chat_id)
    return Applied(CLOSED_TEXT, True)


async def _reopen(ctx: TagContext, _tag: TagName, _value: str) -> Applied:
    change = await ctx.commands.reopen(ctx.actor, ctx.workspace_id, ctx.chat_id)
    return Applied(reopened_text(str(change.chat.status)), True)


async def _delete(ctx: TagContext, _tag: TagName, _value: str) -> Applied:
    await ctx.commands.delete(ctx.actor, ctx.workspace_id, ctx.chat_id)
    return Applied(CHAT_DELETED_TEXT, True)


HANDLERS: Mapping[TagName, Handler] = {
    TagName.TASK: _convert,
    TagName.BUG: _convert,
    TagName.EPIC: _convert,
    TagName.STATUS: _status,
    TagName.ASSIGNEE: _assignee,
    TagName.PRIORITY: _priority,
    TagName.DUE: _due,
    TagName.TITLE: _title,
    TagName.SEVERITY: _severity,
    TagName.DESCRIPTION: _description,
    TagName.INVITE: _invite,
    TagName.REMOVE: _remove,
    TagName.CLOSE: _close,
    TagName.REOPEN: _reopen,
    TagName.DELETE: _delete,
}
