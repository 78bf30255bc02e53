"""The core's telemetry as Prometheus counters (operations.md §8)."""

from __future__ import annotations

from flowra_core.app.delivery.table import LIVE_REACTION
from flowra_core.app.telemetry import TagOutcome
from flowra_core.domain.events import AggregateType
from flowra_core.domain.notification import NotificationCreated
from flowra_core.ports.event_store import Commit
from flowra_entrypoints.metrics import Metrics


class MetricsTelemetry:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def committed(self, commit: Commit) -> None:
        for envelope in commit.events:
            self._metrics.events_committed.labels(envelope.type).inc()
            event = envelope.event
            if isinstance(event, NotificationCreated):
                self._metrics.notifications_created.labels(event.notification_type.value).inc()

    def conflicted(self, aggregate_type: AggregateType) -> None:
        self._metrics.concurrency_conflicts.labels(aggregate_type.value).inc()

    def tag_executed(self, tag: str, outcome: TagOutcome) -> None:
        self._metrics.tags_executed.labels(tag, outcome.value).inc()

    def reacted(self, reaction: str, commit: Commit, *, inline: bool) -> None:
        if reaction == LIVE_REACTION:
            path = "direct" if inline else "relay"
            for envelope in commit.events:
                self._metrics.events_published.labels(envelope.type, path).inc()

    def reaction_failed(self, reaction: str, commit: Commit) -> None:
        self._metrics.reaction_failures.labels(reaction).inc()
        if reaction == LIVE_REACTION:
            for envelope in commit.events:
                self._metrics.publish_failures.labels(envelope.type).inc()
