"""Cursor pagination (http-api.md §1 "Lists").

A cursor is opaque to clients: base64url of a small JSON document holding a fingerprint of
the route and filters it belongs to and the sort key of the last item returned. A cursor
presented with other filters, or tampered with, is a validation error on `cursor`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import msgspec

from flowra_core.domain.errors import ValidationFailed

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 100

SortKey = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class PageRequest:
    """A validated limit and the decoded position after which the page starts."""

    limit: int
    after: SortKey | None


class _CursorDocument(msgspec.Struct, frozen=True):
    f: str
    k: list[Any]


def fingerprint(scope: str, **filters: object) -> str:
    """A short digest of the route and its filters: a cursor only fits the same list."""
    canonical = msgspec.json.encode({"scope": scope, "filters": filters}, order="sorted")
    return hashlib.sha256(canonical).hexdigest()[:16]


def encode_cursor(list_fingerprint: str, key: SortKey) -> str:
    raw = msgspec.json.encode(_CursorDocument(f=list_fingerprint, k=list(key)))
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def page_request(
    limit: int | None,
    cursor: str | None,
    list_fingerprint: str,
    *,
    key_type: Any = None,
    default: int = DEFAULT_LIMIT,
) -> PageRequest:
    """Validate `limit` and decode `cursor`; `key_type` (e.g. `tuple[datetime, str]`) turns
    the JSON key back into typed values."""
    if limit is None:
        limit = default
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.single("limit", f"must be between 1 and {MAX_LIMIT}")
    if cursor is None or cursor == "":
        return PageRequest(limit, None)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        document = msgspec.json.decode(
            base64.urlsafe_b64decode(padded.encode()), type=_CursorDocument
        )
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise ValidationFailed.single("cursor", "is not a valid cursor") from None
    if document.f != list_fingerprint:
        raise ValidationFailed.single("cursor", "belongs to another list or other filters")
    if key_type is None:
        return PageRequest(limit, tuple(document.k))
    try:
        key = tuple(msgspec.convert(document.k, key_type))
    except msgspec.ValidationError:
        raise ValidationFailed.single("cursor", "is not a valid cursor") from None
    if any(isinstance(part, datetime) and part.tzinfo is None for part in key):
        # Sort keys hold aware UTC times; a naive one (forged cursor) would not even compare.
        raise ValidationFailed.single("cursor", "is not a valid cursor")
    return PageRequest(limit, key)


def make_page(
    rows: Sequence[T], request: PageRequest, list_fingerprint: str, key_of: Any
) -> Page[T]:
    """Cut `rows` (fetched with limit + 1) to a page and point the cursor at its last item."""
    if len(rows) <= request.limit:
        return Page(list(rows), None)
    items = list(rows[: request.limit])
    return Page(items, encode_cursor(list_fingerprint, key_of(items[-1])))
