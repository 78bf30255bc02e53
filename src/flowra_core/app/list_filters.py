"""Query-string filters shared by the chat and task lists: comma-separated lists whose values
are matched case-insensitively and reported on the parameter's name when unknown."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flowra_core.domain.errors import ValidationFailed

_T = TypeVar("_T")


def comma_list(text: str | None) -> list[str] | None:
    """The trimmed, non-empty items of `a,b,c`; None when nothing was given."""
    if text is None:
        return None
    items = [item.strip() for item in text.split(",") if item.strip()]
    return items or None


def parse_values(text: str | None, parse: Callable[[str], _T], field: str) -> frozenset[_T] | None:
    """Each item through `parse` (which raises ValueError with the user-facing sentence)."""
    items = comma_list(text)
    if items is None:
        return None
    try:
        return frozenset(parse(item) for item in items)
    except ValueError as error:
        raise ValidationFailed.single(field, str(error)) from error


def text_filter(text: str | None) -> str | None:
    """A substring filter: trimmed; blank means no filter."""
    if text is None or not text.strip():
        return None
    return text.strip()


def canonical(values: frozenset[str] | None) -> list[str] | None:
    """A filter's values in a stable order, for a cursor fingerprint."""
    return None if values is None else sorted(values)
