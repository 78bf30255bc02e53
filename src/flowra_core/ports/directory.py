"""The identity provider's user directory, as the user sync reads it (operations.md §5)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    """One account of the identity provider; `external_id` is what tokens carry as `sub`."""

    external_id: str
    username: str
    email: str | None
    display_name: str | None
    enabled: bool
    is_system_admin: bool


class UserDirectory(Protocol):
    def pages(self, page_size: int = 100) -> AsyncIterator[list[DirectoryUser]]:
        """Every account, `page_size` at a time, in the directory's stable order (an empty
        directory yields nothing). A page that cannot be read raises ServiceUnavailable,
        which ends the iteration."""
        ...

    async def find(self, external_id: str) -> DirectoryUser | None:
        """One account by `external_id`; None when the directory has no such account.

        Paging is offset-based, so an account deleted during a run can shift a later one out
        of sight: confirm with `find` before treating an unseen account as gone."""
        ...
