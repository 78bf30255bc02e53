"""In-memory workspace documents and invite tokens."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from flowra_core.domain.workspace.state import Workspace
from flowra_core.memory.state_store import InMemoryStateStore


class InMemoryWorkspaceStore(InMemoryStateStore[Workspace]):
    async def list_by_name(
        self, *, member_id: str | None, after: tuple[str, str] | None, limit: int
    ) -> Sequence[Workspace]:
        rows = sorted(
            (
                ws
                for ws in self.values()
                if not ws.is_deleted and (member_id is None or ws.member(member_id) is not None)
            ),
            key=_order,
        )
        if after is not None:
            rows = [ws for ws in rows if _order(ws) > after]
        return rows[:limit]

    async def ids_of_member(self, user_id: str) -> Sequence[str]:
        return [
            ws.id for ws in self.values() if not ws.is_deleted and ws.member(user_id) is not None
        ]

    async def by_invite_token_hash(self, token_hash: str) -> Workspace | None:
        return next(
            (ws for ws in self.values() if ws.invite_by_token_hash(token_hash) is not None), None
        )


def _order(workspace: Workspace) -> tuple[str, str]:
    return (workspace.name.lower(), workspace.id)


class InMemoryInviteTokenStore:
    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}

    async def save(self, invite_id: str, token: str) -> None:
        self._tokens[invite_id] = token

    async def get_many(self, invite_ids: Collection[str]) -> Mapping[str, str]:
        return {i: self._tokens[i] for i in invite_ids if i in self._tokens}
