"""SearchIndex contract: every query word must start some token of a hit; hits are limited to
the workspace, kinds and chats asked for, newest first by (created_at, id) with a cursor; and
the version guard keeps older writes from replacing newer ones or reviving removed entries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flowra_core.app.search.index import tokenize
from flowra_core.ports.search import SearchEntry, SearchKind, SearchPosition, SearchQuery

from .backends import Ports

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
ALL_KINDS = tuple(SearchKind)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def entry(entry_id: str, text: str, minutes: float = 1, **fields: Any) -> SearchEntry:
    values: dict[str, Any] = {
        "kind": SearchKind.MESSAGE,
        "workspace_id": "w1",
        "chat_id": "c1",
        "author_id": "u1",
        "created_at": at(minutes),
        "version": 1,
    }
    values.update(fields)
    return SearchEntry(id=entry_id, text=text, tokens=tokenize(text), **values)


async def search(
    ports: Ports,
    q: str,
    *,
    chat_ids: Sequence[str] = ("c1", "c2"),
    kinds: Sequence[SearchKind] = ALL_KINDS,
    before: SearchPosition | None = None,
    limit: int = 10,
    workspace_id: str = "w1",
) -> list[str]:
    found = await ports.search.search(
        SearchQuery(
            workspace_id=workspace_id,
            chat_ids=chat_ids,
            kinds=kinds,
            words=tokenize(q),
            before=before,
            limit=limit,
        )
    )
    return [hit.id for hit in found]


async def put_all(ports: Ports, *entries: SearchEntry) -> None:
    for stored in entries:
        await ports.search.put(stored)


class TestMatching:
    async def test_each_word_must_start_some_token(self, ports: Ports) -> None:
        await put_all(
            ports,
            entry("m1", "Deploy the billing service", 1),
            entry("m2", "Billing is down again", 2),
            entry("m3", "redeploy tomorrow", 3),
        )

        assert await search(ports, "bill") == ["m2", "m1"]
        assert await search(ports, "deploy bill") == ["m1"]
        assert await search(ports, "BILLING Serv") == ["m1"]
        assert await search(ports, "ploy") == []
        assert await search(ports, "deploy missing") == []

    async def test_accents_and_case_fold_and_punctuation_separates_words(
        self, ports: Ports
    ) -> None:
        await put_all(ports, entry("m1", "Café crème à 3€"), entry("m2", "a.b+c (x|y)"))

        assert await search(ports, "cafe CREME") == ["m1"]
        assert await search(ports, "a.b") == ["m2"]
        assert await search(ports, "x|y") == ["m2"]
        assert await search(ports, "b+c") == ["m2"]
        assert await search(ports, "bc") == []

    async def test_the_result_carries_the_whole_entry(self, ports: Ports) -> None:
        stored = entry("c1", "Fix login\nUsers cannot log in", kind=SearchKind.TASK, version=4)
        await ports.search.put(stored)

        [hit] = await ports.search.search(
            SearchQuery(
                workspace_id="w1",
                chat_ids=["c1"],
                kinds=ALL_KINDS,
                words=("login",),
                before=None,
                limit=5,
            )
        )

        assert hit == stored


class TestScope:
    async def test_workspace_kinds_and_chats_limit_the_hits(self, ports: Ports) -> None:
        await put_all(
            ports,
            entry("m1", "release notes", 1),
            entry("m2", "release party", 2, chat_id="c2"),
            entry("c3", "Release plan", 3, kind=SearchKind.TASK, chat_id="c3"),
            entry("m4", "release", 4, workspace_id="w2"),
        )

        assert await search(ports, "release", chat_ids=["c1", "c2", "c3"]) == ["c3", "m2", "m1"]
        assert await search(ports, "release") == ["m2", "m1"]
        assert await search(ports, "release", chat_ids=["c2"]) == ["m2"]
        assert await search(ports, "release", chat_ids=[]) == []
        assert await search(ports, "release", chat_ids=["c3"], kinds=[SearchKind.CHAT]) == []
        assert await search(ports, "release", workspace_id="w2") == ["m4"]
        assert await search(ports, "release", workspace_id="w3") == []


class TestPages:
    async def test_newest_first_strictly_before_the_cursor_ties_by_id(self, ports: Ports) -> None:
        await put_all(
            ports,
            entry("m1", "standup", 1),
            entry("b", "standup", 2),
            entry("a", "standup", 2),
            entry("m3", "standup", 3),
        )

        first = await search(ports, "standup", limit=2)
        rest = await search(ports, "standup", before=(at(2), "b"), limit=5)

        assert first == ["m3", "b"]
        assert rest == ["a", "m1"]
        assert await search(ports, "standup", limit=0) == []


class TestVersions:
    async def test_put_replaces_only_with_a_newer_version(self, ports: Ports) -> None:
        await ports.search.put(entry("c1", "Roadmap", version=2, kind=SearchKind.CHAT))
        await ports.search.put(entry("c1", "Old title", version=1, kind=SearchKind.CHAT))
        await ports.search.put(entry("c1", "Same version", version=2, kind=SearchKind.CHAT))

        assert await search(ports, "roadmap") == ["c1"]
        assert await search(ports, "old") == []

        await ports.search.put(entry("c1", "Roadmap Q3", version=3, kind=SearchKind.TASK))
        assert await search(ports, "q3", kinds=[SearchKind.TASK]) == ["c1"]

    async def test_revise_changes_the_text_of_a_present_entry_only(self, ports: Ports) -> None:
        await ports.search.put(entry("m1", "first draft", version=1))

        await ports.search.revise("m1", text="final text", tokens=tokenize("final text"), version=2)
        await ports.search.revise("m1", text="stale", tokens=tokenize("stale"), version=2)
        await ports.search.revise("m9", text="ghost", tokens=tokenize("ghost"), version=5)

        assert await search(ports, "final") == ["m1"]
        assert await search(ports, "draft") == []
        assert await search(ports, "stale") == []
        assert await search(ports, "ghost") == []

    async def test_a_removed_entry_never_comes_back(self, ports: Ports) -> None:
        await ports.search.put(entry("m1", "secret plan", version=1))
        await ports.search.remove("m1", version=3)
        await ports.search.remove("m2", version=2)  # removed before it was indexed

        await ports.search.put(entry("m1", "secret plan", version=1))
        await ports.search.put(entry("m1", "secret plan again", version=9))
        await ports.search.put(entry("m2", "secret too", version=1))
        await ports.search.revise("m1", text="secret", tokens=("secret",), version=10)

        assert await search(ports, "secret") == []

    async def test_an_older_removal_leaves_a_newer_entry(self, ports: Ports) -> None:
        await ports.search.put(entry("m1", "keep me", version=3))

        await ports.search.remove("m1", version=2)

        assert await search(ports, "keep") == ["m1"]

    async def test_removing_a_chat_removes_its_entry_and_its_messages(self, ports: Ports) -> None:
        await put_all(
            ports,
            entry("c1", "Launch", kind=SearchKind.CHAT, chat_id="c1"),
            entry("m1", "launch day", chat_id="c1"),
            entry("m2", "launch party", chat_id="c2"),
        )

        await ports.search.remove_chat("c1")
        await ports.search.put(entry("m1", "launch day", chat_id="c1"))

        assert await search(ports, "launch") == ["m2"]
