"""In-memory state documents with the never-move-backwards rule of the StateStore port."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Generic

from flowra_core.ports.state_store import S


class InMemoryStateStore(Generic[S]):
    def __init__(self) -> None:
        self._states: dict[str, S] = {}

    async def get(self, aggregate_id: str) -> S | None:
        return self._states.get(aggregate_id)

    async def save(self, state: S) -> None:
        stored = self._states.get(state.id)
        if stored is None or stored.version < state.version:
            self._states[state.id] = state

    def known(self, ids: Collection[str]) -> dict[str, S]:
        """The stored states among `ids`, by id: one look-up per id, as by `_id` in Mongo."""
        return {i: state for i in ids if (state := self._states.get(i)) is not None}

    def values(self) -> Iterator[S]:
        return iter(list(self._states.values()))
