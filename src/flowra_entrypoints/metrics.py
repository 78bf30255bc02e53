"""Prometheus metrics with the names of operations.md §8 (one registry per process)."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from flowra_entrypoints.governance_metrics import GovernanceMetrics

_PARAM_TYPE = re.compile(r"\{(\w+):\w+\}")
UNMATCHED_ROUTE = "unmatched"


def route_label(path_template: str | None) -> str:
    """`/api/v1/workspaces/{workspace_id:str}` → `/api/v1/workspaces/{workspace_id}`; requests
    that matched no route share one label so unknown paths cannot explode the cardinality."""
    if not path_template:
        return UNMATCHED_ROUTE
    return _PARAM_TYPE.sub(r"{\1}", path_template)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http_requests = Counter(
            "flowra_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "flowra_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=r,
        )
        self.websocket_connections = Gauge(
            "flowra_websocket_connections", "Open WebSocket connections", registry=r
        )
        self.websocket_frames_sent = Counter(
            "flowra_websocket_frames_sent_total", "WebSocket frames sent", ["type"], registry=r
        )
        self.websocket_frames_received = Counter(
            "flowra_websocket_frames_received_total",
            "WebSocket client frames received",
            ["type"],
            registry=r,
        )
        self.websocket_slow_consumer_disconnects = Counter(
            "flowra_websocket_slow_consumer_disconnects_total",
            "WebSocket connections closed because their send queue overflowed",
            registry=r,
        )
        self.mongodb_operations = Counter(
            "flowra_mongodb_operations_total",
            "MongoDB operations",
            ["collection", "operation", "outcome"],
            registry=r,
        )
        self.redis_operations = Counter(
            "flowra_redis_operations_total",
            "Redis operations",
            ["operation", "outcome"],
            registry=r,
        )
        self.rate_limited = Counter(
            "flowra_rate_limited_total", "Requests refused by a rate limit", ["bucket"], registry=r
        )
        self.requests_shed = Counter(
            "flowra_http_requests_shed_total",
            "Requests answered 503 after waiting server.queue_timeout for a free slot",
            registry=r,
        )
        self.requests_in_flight = Gauge(
            "flowra_http_requests_in_flight", "API requests being handled now", registry=r
        )

        self.relay_unpublished = Gauge(
            "flowra_relay_unpublished_events", "Committed events not yet published", registry=r
        )
        self.relay_oldest_age = Gauge(
            "flowra_relay_oldest_unpublished_age_seconds",
            "Age of the oldest unpublished commit",
            registry=r,
        )
        self.relay_stuck = Gauge(
            "flowra_relay_stuck_events", "Events that failed to publish 10+ times", registry=r
        )
        self.relay_batch_size = Histogram(
            "flowra_relay_batch_size",
            "Commits the relay handled in one run (runs with work only)",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
            registry=r,
        )
        self.events_published = Counter(
            "flowra_events_published_total",
            "Events published on the bus",
            ["type", "path"],
            registry=r,
        )
        self.publish_failures = Counter(
            "flowra_event_publish_failures_total", "Failed publications", ["type"], registry=r
        )
        self.projection_lag = Gauge(
            "flowra_projection_lag_events", "Committed events not yet projected", registry=r
        )
        self.repair_queue_items = Gauge(
            "flowra_repair_queue_items", "Repair queue items by status", ["status"], registry=r
        )
        self.dispatch_lag = Gauge(
            "flowra_dispatch_lag_events",
            "Committed events the dispatch consumer has not confirmed",
            registry=r,
        )
        self.bus_dead_letters = Gauge(
            "flowra_eventbus_dead_letters",
            "Bus entries parked after repeated consumer failures",
            registry=r,
        )

        self.reaction_failures = Counter(
            "flowra_reaction_failures_total",
            "Reactions to a commit that failed (and will be retried)",
            ["reaction"],
            registry=r,
        )
        self.events_committed = Counter(
            "flowra_events_committed_total", "Events committed to the journal", ["type"], registry=r
        )
        self.concurrency_conflicts = Counter(
            "flowra_concurrency_conflicts_total",
            "Commits that lost a race on their stream",
            ["aggregate_type"],
            registry=r,
        )
        self.tags_executed = Counter(
            "flowra_tags_executed_total",
            "Message tags executed",
            ["tag", "outcome"],
            registry=r,
        )
        self.notifications_created = Counter(
            "flowra_notifications_created_total", "Notifications created", ["type"], registry=r
        )

        self.user_sync_runs = Counter(
            "flowra_user_sync_runs_total",
            "Identity-provider user sync runs",
            ["outcome"],
            registry=r,
        )

        self.governance = GovernanceMetrics(r)

    def observe_http(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_duration.labels(method, route).observe(seconds)

    def count_mongodb(self, collection: str, operation: str, outcome: str) -> None:
        self.mongodb_operations.labels(collection, operation, outcome).inc()

    def count_redis(self, operation: str, outcome: str) -> None:
        self.redis_operations.labels(operation, outcome).inc()

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
