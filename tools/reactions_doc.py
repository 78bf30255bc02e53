"""Writes docs/reactions.md from the reaction table: `python tools/reactions_doc.py`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from flowra_core.app.delivery.reactions import reactions_markdown
from flowra_core.app.governance.webhooks import with_webhooks
from flowra_core.domain.events import event_aggregates
from flowra_core.memory.webhooks import InMemoryWebhookStore
from flowra_core.testing.builder import build_test_core

DOC = Path(__file__).resolve().parent.parent / "docs" / "reactions.md"


async def current() -> str:
    """The table the composition root installs: Flowra's reactions plus webhook deliveries."""
    flowra = await build_test_core(reactions=with_webhooks(InMemoryWebhookStore()))
    return reactions_markdown(flowra.core.reactions.table, event_aggregates())


if __name__ == "__main__":
    DOC.write_text(asyncio.run(current()), encoding="utf-8")
    print(f"wrote {DOC}")  # noqa: T201
