"""Lease locks: one process at a time runs each worker job (operations.md §5)."""

from __future__ import annotations

from typing import Protocol


class LeaseLocks(Protocol):
    async def acquire(self, name: str, owner: str, ttl_seconds: float) -> bool:
        """Take the lock if it is free, expired or already ours (then the lease is renewed)."""
        ...

    async def release(self, name: str, owner: str) -> None:
        """Give the lock up if we hold it; someone else's lock is left alone."""
        ...
