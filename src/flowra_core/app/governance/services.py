"""Integrations and governance beside the core: API tokens, bots, the audit log and webhooks, built
on the core's write path and stores with ports of their own."""

from __future__ import annotations

from dataclasses import dataclass, field

from flowra_core.app.core import FlowraCore
from flowra_core.app.governance.audit import AuditService
from flowra_core.app.governance.bots import BotService
from flowra_core.app.governance.tokens import TokenService
from flowra_core.app.governance.webhooks import EndpointCache, WebhookService
from flowra_core.ports.audit import AuditLog
from flowra_core.ports.tokens import ApiTokenStore, BotStore
from flowra_core.ports.webhooks import WebhookSender, WebhookStore


@dataclass(frozen=True, slots=True)
class GovernancePorts:
    api_tokens: ApiTokenStore
    bots: BotStore
    audit_log: AuditLog
    webhooks: WebhookStore
    # This process's cache of endpoints, shared by the reaction and the service that changes it
    endpoint_cache: EndpointCache = field(default_factory=EndpointCache)


class Governance:
    def __init__(
        self,
        core: FlowraCore,
        ports: GovernancePorts,
        *,
        webhook_sender: WebhookSender,
        audit_enabled: bool = True,
    ) -> None:
        """The webhook reaction is in the core's table already (`with_webhooks(ports.webhooks,
        ports.endpoint_cache)`, installed by the composition root): these are the endpoints'
        management routes, which invalidate that shared cache."""
        self.ports = ports
        core_ports = core.ports
        self.clock = core_ports.clock
        self.ids = core_ports.ids
        self.tokens = TokenService(
            ports.api_tokens,
            ports.bots,
            core_ports.users,
            core_ports.workspaces,
            core_ports.clock,
            core_ports.ids,
            core_ports.tokens,
        )
        self.bots = BotService(core.write, core_ports.users, core.workspaces, ports.bots)
        self.audit = AuditService(ports.audit_log, core_ports.workspaces, enabled=audit_enabled)
        self.webhook_sender = webhook_sender
        self.webhooks = WebhookService(
            ports.webhooks,
            webhook_sender,
            core_ports.workspaces,
            core_ports.clock,
            core_ports.ids,
            core_ports.tokens,
            ports.endpoint_cache,
        )
