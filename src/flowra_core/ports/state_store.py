"""State documents: the latest state of each aggregate, doubling as snapshot and read model."""

from __future__ import annotations

from typing import Protocol, TypeVar


class Versioned(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def version(self) -> int: ...


S = TypeVar("S", bound=Versioned)


class StateStore(Protocol[S]):
    async def get(self, aggregate_id: str) -> S | None:
        """The stored state, or None for an unknown id."""
        ...

    async def save(self, state: S) -> None:
        """Store the state unless a state of the same or a newer version is already stored,
        so replays and concurrent projections never move a document backwards."""
        ...

    async def save_new(self, state: S) -> None:
        """`save` for the state of an aggregate's first commit, which is most likely not
        stored yet (a store may write it more cheaply then); the same outcome as `save`."""
        ...
