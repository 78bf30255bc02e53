"""Metrics of API tokens, the audit log and webhooks, on the process's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class GovernanceMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.token_authentications = Counter(
            "flowra_api_token_authentications_total",
            "Requests authenticated (or refused) by an API token",
            ["outcome"],
            registry=registry,
        )
        self.audit_entries = Counter(
            "flowra_audit_entries_total", "Audit log entries written", ["action"], registry=registry
        )
        self.webhook_deliveries = Counter(
            "flowra_webhook_deliveries_total",
            "Webhook delivery attempts (delivered, failed: retried later, parked)",
            ["outcome"],
            registry=registry,
        )
        self.webhook_delivery_seconds = Histogram(
            "flowra_webhook_delivery_seconds", "Webhook delivery attempt latency", registry=registry
        )
