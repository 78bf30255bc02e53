"""Uploads never attached to a message are deleted once they are 24 h old (operations.md §5
"repair": its clean-up half; what was the other half, rebuilding aggregates whose apply step
failed, is the reaction sweep's work now, see reactions.py)."""

from __future__ import annotations

from datetime import timedelta

from flowra_core.ports.clock import Clock
from flowra_core.ports.files import BlobStorage, FileStore

UNATTACHED_UPLOAD_MAX_AGE = timedelta(hours=24)
UPLOAD_SWEEP_BATCH = 100


class UploadSweep:
    def __init__(self, files: FileStore, blobs: BlobStorage, clock: Clock) -> None:
        self._files = files
        self._blobs = blobs
        self._clock = clock

    async def run_once(self) -> int:
        """Delete one batch of uploads never attached and older than 24 h: the record first
        (only while still unattached), then its bytes. A failure in between leaves bytes no
        record points to, never a record without bytes. How many went."""
        cutoff = self._clock.now() - UNATTACHED_UPLOAD_MAX_AGE
        stale = await self._files.unattached_before(cutoff, limit=UPLOAD_SWEEP_BATCH)
        deleted = 0
        for record in stale:
            if await self._files.delete_unattached(record.id):
                await self._blobs.delete(record.storage_key)
                deleted += 1
        return deleted
