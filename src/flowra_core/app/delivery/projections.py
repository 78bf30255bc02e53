"""Secondary read models fed from commits (the state documents are saved by the write path)."""

from __future__ import annotations

from collections.abc import Sequence

from flowra_core.app.write_path import Projector
from flowra_core.ports.event_store import Commit


class CompositeProjector:
    """Runs each projection in order; each is idempotent, so a replay is harmless."""

    def __init__(self, projectors: Sequence[Projector]) -> None:
        self._projectors = list(projectors)

    async def project(self, commit: Commit) -> None:
        for projector in self._projectors:
            await projector.project(commit)
