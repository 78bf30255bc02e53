"""Workspace documents (members and invites inside) and their look-ups."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from flowra_core.domain.workspace.state import Workspace
from flowra_core.ports.state_store import StateStore


class WorkspaceStore(StateStore[Workspace], Protocol):
    async def list_by_name(
        self, *, member_id: str | None, after: tuple[str, str] | None, limit: int
    ) -> Sequence[Workspace]:
        """Live workspaces ordered by (lowercased name, id) after `after`; only those with
        `member_id` as a member unless it is None (a system admin's `all=true`)."""
        ...

    async def ids_of_member(self, user_id: str) -> Sequence[str]:
        """Ids of the live workspaces the user belongs to."""
        ...

    async def by_invite_token_hash(self, token_hash: str) -> Workspace | None: ...


class InviteTokenStore(Protocol):
    """Invite tokens in clear, kept out of the journal (events carry only their hash)."""

    async def save(self, invite_id: str, token: str) -> None: ...

    async def get_many(self, invite_ids: Collection[str]) -> Mapping[str, str]: ...
