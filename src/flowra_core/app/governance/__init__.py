"""Integrations and governance: API tokens, bots, the audit log and webhooks."""
