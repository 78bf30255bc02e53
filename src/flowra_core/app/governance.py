"""Integrations and governance beside the core: API tokens, bots and the audit log, built
on the core's write path and stores with ports of their own."""

from __future__ import annotations

from dataclasses import dataclass

from flowra_core.app.audit import AuditService
from flowra_core.app.bots import BotService
from flowra_core.app.core import FlowraCore
from flowra_core.app.tokens import TokenService
from flowra_core.ports.audit import AuditLog
from flowra_core.ports.tokens import ApiTokenStore, BotStore


@dataclass(frozen=True, slots=True)
class GovernancePorts:
    api_tokens: ApiTokenStore
    bots: BotStore
    audit_log: AuditLog


class Governance:
    def __init__(
        self, core: FlowraCore, ports: GovernancePorts, *, audit_enabled: bool = True
    ) -> None:
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
