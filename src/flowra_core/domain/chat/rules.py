"""State guards shared by the chat commands, and the collector that lets one input report
every bad field at once."""

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flowra_core.domain.chat.state import Chat
from flowra_core.domain.errors import DomainError, ErrorCode, FieldError, ValidationFailed

_T = TypeVar("_T")
_P = ParamSpec("_P")


def ensure_exists(chat: Chat) -> None:
    """A deleted chat is invisible: every command on it answers CHAT_NOT_FOUND."""
    if chat.is_deleted:
        raise DomainError(ErrorCode.CHAT_NOT_FOUND, f"No chat {chat.id} in this workspace")


def ensure_work_item(chat: Chat) -> None:
    if not chat.is_typed:
        raise DomainError(
            ErrorCode.NOT_A_WORK_ITEM,
            "This chat is not a work item; convert it to a task, bug or epic first",
        )


def ensure_live_work_item(chat: Chat) -> None:
    ensure_exists(chat)
    ensure_work_item(chat)


class FieldErrors:
    """Collects the failures of several field checks so that one input reports all of them."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def check(self, check: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T | None:
        """The check's result, or None after recording its `ValidationFailed`."""
        try:
            return check(*args, **kwargs)
        except ValidationFailed as failed:
            self.errors.extend(failed.errors)
            return None

    def add(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
