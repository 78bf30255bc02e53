"""Shapes shared by many responses: timestamps, user references, pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Generic, TypeVar

import msgspec

from flowra_core.app.pagination import Page
from flowra_core.domain.datetimes import format_timestamp
from flowra_core.domain.user.state import User

T = TypeVar("T")
V = TypeVar("V")

# RFC 3339 UTC with milliseconds and `Z`, formatted by us (msgspec would print microseconds).
Timestamp = Annotated[str, msgspec.Meta(extra_json_schema={"format": "date-time"})]


def ts(moment: datetime) -> str:
    return format_timestamp(moment)


def ts_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)


class Struct(msgspec.Struct, kw_only=True):
    """Base of response bodies."""


class RequestBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of request bodies: unknown fields are rejected (422)."""


class PatchBody(RequestBody):
    """Base of PATCH bodies: absent = unchanged, and at least one field must be given (the
    handler answers 422 otherwise; the document says `minProperties: 1`)."""

    def is_empty(self) -> bool:
        return all(getattr(self, name) is msgspec.UNSET for name in self.__struct_fields__)


class ListResponse(Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None


def list_response(page: Page[V], convert: Callable[[V], T]) -> ListResponse[T]:
    return ListResponse(items=[convert(item) for item in page.items], next_cursor=page.next_cursor)


def converted(items: Sequence[V], convert: Callable[[V], T]) -> list[T]:
    return [convert(item) for item in items]


class UserRef(Struct):
    id: str
    username: str
    display_name: str


def user_ref(user: User) -> UserRef:
    return UserRef(id=user.id, username=user.username, display_name=user.display_name)


class UserResponse(Struct):
    id: str
    username: str
    email: str
    display_name: str
    is_active: bool
    is_system_admin: bool
    created_at: Timestamp
    updated_at: Timestamp


def user_response(user: User) -> UserResponse:
    return UserResponse(
        id=user.id,
        username=user.username,
        email=user.email,
        display_name=user.display_name,
        is_active=user.is_active,
        is_system_admin=user.is_system_admin,
        created_at=ts(user.created_at),
        updated_at=ts(user.updated_at),
    )
