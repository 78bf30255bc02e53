"""The lease the migrator holds while it runs: taken once (a held lock is an error naming its
holder), renewed in the background, released on exit."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from flowra_adapters.mongo.locks import MongoLeaseLocks
from flowra_core.domain.errors import ServiceUnavailable

LEASE = timedelta(seconds=30)
RENEW_EVERY = timedelta(seconds=10)


class LockHeldError(Exception):
    def __init__(self, name: str, holder: str) -> None:
        super().__init__(
            f"the {name!r} lock is held by {holder}; another run is in progress "
            "(if it died, its lease expires by itself)"
        )


class LockLostError(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"the {name!r} lock was lost while held (its lease could not be renewed)")


class HeldLease:
    def __init__(
        self,
        locks: MongoLeaseLocks,
        name: str,
        owner: str,
        *,
        lease: timedelta = LEASE,
        renew_every: timedelta = RENEW_EVERY,
    ) -> None:
        self._locks = locks
        self._name = name
        self._owner = owner
        self._lease = lease.total_seconds()
        self._renew_every = renew_every.total_seconds()

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Hold the lock for the block; LockHeldError if another owner has it, LockLostError
        after the block if a renewal found it taken."""
        if not await self._locks.acquire(self._name, self._owner, self._lease):
            holder = await self._locks.holder(self._name)
            shown = "?" if holder is None else f"{holder.owner} until {holder.expires_at}"
            raise LockHeldError(self._name, shown)
        lost = asyncio.Event()
        renewal = asyncio.create_task(self._keep_renewing(lost))
        try:
            yield
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
            await self._locks.release(self._name, self._owner)
        if lost.is_set():
            raise LockLostError(self._name)

    async def _keep_renewing(self, lost: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(self._renew_every)
            try:
                renewed = await self._locks.acquire(self._name, self._owner, self._lease)
            except ServiceUnavailable:
                continue  # the lease may still be ours: try again at the next tick
            if not renewed:
                lost.set()
                return
