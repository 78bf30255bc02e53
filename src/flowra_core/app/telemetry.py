"""What the core tells an observer about its work (operations.md §8's domain metrics): commits,
concurrency conflicts and tag outcomes. The core stays free of any metrics library; the
entrypoints translate these calls into Prometheus counters."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from flowra_core.domain.events import AggregateType
from flowra_core.ports.event_store import Commit


class TagOutcome(StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"
    FAILED = "failed"


# The label for a tag that is not in the grammar: `#anything` must not create a metric series.
UNKNOWN_TAG = "unknown"


class CoreTelemetry(Protocol):
    def committed(self, commit: Commit) -> None:
        """A commit was stored (its events are now facts)."""
        ...

    def conflicted(self, aggregate_type: AggregateType) -> None:
        """A writer lost a race on the aggregate's stream and will retry (or give up)."""
        ...

    def tag_executed(self, tag: str, outcome: TagOutcome) -> None:
        """A tag of a message ran; `tag` is a grammar name or UNKNOWN_TAG."""
        ...

    def reacted(self, reaction: str, commit: Commit, *, inline: bool) -> None:
        """A reaction to the commit succeeded, right after it (`inline`) or in the sweep."""
        ...

    def reaction_failed(self, reaction: str, commit: Commit) -> None:
        """A reaction to the commit failed; it will be retried (reactions.py)."""
        ...


class NoTelemetry:
    """The default: nobody is watching."""

    def committed(self, commit: Commit) -> None:
        pass

    def conflicted(self, aggregate_type: AggregateType) -> None:
        pass

    def tag_executed(self, tag: str, outcome: TagOutcome) -> None:
        pass

    def reacted(self, reaction: str, commit: Commit, *, inline: bool) -> None:
        pass

    def reaction_failed(self, reaction: str, commit: Commit) -> None:
        pass
