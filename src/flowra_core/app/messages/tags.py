"""The `#tag` executor (tags.md §4): the `TagRunner` the send-message use case calls.

Tags run in message order, each as its own chat command and commit against the chat as the
earlier tags left it (E2, E3), without change summaries (E6). A failure is a result: the
command's refusal becomes the tag's failure code and a `❌` line, and later tags still run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flowra_core.app.actor import Actor
from flowra_core.app.chats.commands import ChatCommands
from flowra_core.app.messages.service import TagResultView, TagRun
from flowra_core.app.messages.tag_handlers import HANDLERS, TagContext, TagRejectedError
from flowra_core.app.telemetry import UNKNOWN_TAG, CoreTelemetry, NoTelemetry, TagOutcome
from flowra_core.domain.chat import STATUSES, ChatType
from flowra_core.domain.errors import DomainError, ErrorCode, FlowraError, ValidationFailed
from flowra_core.domain.tags.grammar import (
    PlannedCommand,
    PlannedTag,
    TagName,
    parse_tags,
    plan_commands,
)
from flowra_core.domain.tags.replies import (
    TagFailureCode,
    applied_line,
    failure_line,
    join_reply,
)
from flowra_core.ports.users import UserStore

logger = logging.getLogger(__name__)
_Code = TagFailureCode

_DOMAIN_CODES: Mapping[ErrorCode, TagFailureCode] = {
    ErrorCode.FORBIDDEN: _Code.FORBIDDEN,
    # The author lost write access (or the workspace) since sending: a permission failure.
    ErrorCode.NOT_PARTICIPANT: _Code.FORBIDDEN,
    ErrorCode.WORKSPACE_NOT_FOUND: _Code.FORBIDDEN,
    ErrorCode.NOT_A_WORK_ITEM: _Code.NOT_A_WORK_ITEM,
    ErrorCode.ALREADY_PARTICIPANT: _Code.ALREADY_PARTICIPANT,
    ErrorCode.PARTICIPANT_NOT_FOUND: _Code.NOT_PARTICIPANT,
    ErrorCode.LAST_CHAT_ADMIN: _Code.LAST_CHAT_ADMIN,
    ErrorCode.ALREADY_THIS_TYPE: _Code.ALREADY_THIS_TYPE,
    ErrorCode.CHAT_ALREADY_CLOSED: _Code.ALREADY_CLOSED,
    ErrorCode.CHAT_NOT_CLOSED: _Code.NOT_CLOSED,
    ErrorCode.CONCURRENT_MODIFICATION: _Code.CONFLICT,
}

# The field a refused value was reported on → the tag's failure code.
_FIELD_CODES: Mapping[str, TagFailureCode] = {
    "title": _Code.TITLE_TOO_LONG,  # tag titles are never empty (VALUE_REQUIRED)
    "description": _Code.DESCRIPTION_TOO_LONG,
    "status": _Code.INVALID_STATUS,
    "priority": _Code.INVALID_PRIORITY,
    "due_date": _Code.INVALID_DATE,
}

# Reasons that name the chat's type or its statuses.
_TYPED_REASONS = frozenset(
    {_Code.INVALID_STATUS, _Code.ALREADY_THIS_TYPE, _Code.ALREADY_CLOSED, _Code.NOT_CLOSED}
)


_TAG_NAMES = frozenset(tag.value for tag in TagName)


def _tag_label(name: str) -> str:
    """The metric label of a tag as written: its grammar name, or UNKNOWN_TAG."""
    lowered = name.lower()
    return lowered if lowered in _TAG_NAMES else UNKNOWN_TAG


def _outcome(result: TagResultView) -> TagOutcome:
    if not result.ok:
        return TagOutcome.FAILED
    return TagOutcome.APPLIED if result.changed else TagOutcome.UNCHANGED


class TagExecutor:
    def __init__(
        self, commands: ChatCommands, users: UserStore, telemetry: CoreTelemetry | None = None
    ) -> None:
        self._commands = commands.without_summaries()
        self._users = users
        self._telemetry = telemetry or NoTelemetry()

    async def run(
        self, actor: Actor, workspace_id: str, chat_id: str, content: str
    ) -> TagRun | None:
        """Apply the tags of a sent message; None when it has no tag line (no bot reply)."""
        tags = parse_tags(content)
        if not tags:
            return None
        context = TagContext(self._commands, self._users, actor, workspace_id, chat_id)
        results = [await self._run_one(context, planned) for planned in plan_commands(tags)]
        for result in results:
            self._telemetry.tag_executed(_tag_label(result.tag), _outcome(result))
        return TagRun(results=results, reply_text=join_reply(r.text for r in results))

    async def _run_one(self, context: TagContext, planned: PlannedTag) -> TagResultView:
        if not isinstance(planned, PlannedCommand):
            return await self._failed(context, planned.name, planned.value, planned.code)
        try:
            applied = await HANDLERS[planned.tag](context, planned.tag, planned.value)
        except TagRejectedError as rejected:
            code = rejected.code
        except FlowraError as error:
            code = await self._failure_code(context, error)
            if code is _Code.INTERNAL_ERROR:
                logger.error("tag #%s was refused unexpectedly: %s", planned.name, error)
        except Exception:
            logger.exception("tag #%s failed", planned.name)
            code = _Code.INTERNAL_ERROR
        else:
            return TagResultView(
                tag=planned.name,
                value=planned.value,
                ok=True,
                changed=applied.changed,
                code=None,
                text=applied_line(applied.text),
            )
        return await self._failed(context, planned.name, planned.value, code)

    async def _failure_code(self, context: TagContext, error: FlowraError) -> TagFailureCode:
        """The tag failure code for a command's refusal. Where the code depends on the chat,
        it is read as it stands after the refusal (a refused command changed nothing)."""
        if isinstance(error, ValidationFailed):
            field = error.errors[0].field if error.errors else ""
            if field == "severity":
                chat = await self._commands.current(context.chat_id)
                is_bug = chat is not None and chat.type is ChatType.BUG
                return _Code.INVALID_SEVERITY if is_bug else _Code.SEVERITY_BUG_ONLY
            return _FIELD_CODES.get(field, _Code.INTERNAL_ERROR)
        if isinstance(error, DomainError) and error.code is ErrorCode.CHAT_NOT_FOUND:
            # Deleted (E5), or no longer readable by the author (they left a private chat).
            chat = await self._commands.current(context.chat_id)
            return _Code.CHAT_DELETED if chat is None or chat.is_deleted else _Code.FORBIDDEN
        return _DOMAIN_CODES.get(error.code, _Code.INTERNAL_ERROR)

    async def _failed(
        self, context: TagContext, name: str, value: str, code: TagFailureCode
    ) -> TagResultView:
        chat_type: str | None = None
        statuses: list[str] | None = None
        if code in _TYPED_REASONS:
            chat = await self._commands.current(context.chat_id)
            assert chat is not None, "a tag runs in a chat that exists"
            chat_type = chat.type.value
            statuses = [status.value for status in STATUSES[chat.type]]
        text = failure_line(name, code, value=value, chat_type=chat_type, allowed_statuses=statuses)
        return TagResultView(
            tag=name, value=value, ok=False, changed=False, code=code.value, text=text
        )
