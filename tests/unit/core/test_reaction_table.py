"""The reaction table is the one answer to "what happens after X?": its documentation is
generated from it and kept current, and the names the work-list migration owes match it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from flowra_core.app.delivery.table import REACTION_NAMES
from flowra_core.domain.events import event_aggregates
from flowra_core.testing.builder import build_test_core

ROOT = Path(__file__).resolve().parents[3]


async def test_docs_reactions_md_is_generated_from_the_table() -> None:
    spec = importlib.util.spec_from_file_location("reactions_doc", ROOT / "tools/reactions_doc.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    expected = await module.current()

    assert (ROOT / "docs/reactions.md").read_text(encoding="utf-8") == expected, (
        "docs/reactions.md is out of date: run `python tools/reactions_doc.py`"
    )


async def test_every_registered_reaction_is_named_in_table_order() -> None:
    flowra = await build_test_core()

    assert tuple(r.name for r in flowra.core.reactions.table) == REACTION_NAMES


async def test_what_happens_after_a_member_leaves() -> None:
    table = (await build_test_core()).core.reactions.table
    workspace = event_aggregates()["member.removed"]

    assert table.for_event(workspace, "member.removed") == [
        "state",
        "live",
        "workspace.member_departure",
    ]
