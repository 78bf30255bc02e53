"""Short-lived secrets (refresh tokens, WebSocket tickets, sessions) with expiry."""

from __future__ import annotations

from typing import Protocol


class EphemeralStore(Protocol):
    async def put(self, key: str, value: bytes, ttl_seconds: float) -> None: ...

    async def get(self, key: str) -> bytes | None:
        """The value while it has not expired."""
        ...

    async def take(self, key: str) -> bytes | None:
        """Get and delete in one step: a single-use secret is used at most once."""
        ...

    async def delete(self, key: str) -> None: ...
