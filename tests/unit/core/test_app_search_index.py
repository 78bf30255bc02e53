"""Search words and snippets (app/search/index.py) and the SearchIndex port's write guards."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowra_core.app.search.index import (
    SNIPPET_MAX_CHARS,
    fold,
    matches,
    query_words,
    snippet,
    tokenize,
)
from flowra_core.memory.search import InMemorySearchIndex
from flowra_core.ports.search import SearchEntry, SearchKind, SearchQuery

NOW = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)


class TestWords:
    def test_folding_drops_case_and_accents(self) -> None:
        assert fold("Crème BRÛLÉE") == "creme brulee"
        assert fold("Straße") == "strasse"
        assert fold("ﬁnal ①") == "final 1"

    def test_decomposed_and_composed_accents_fold_alike(self) -> None:
        composed = "café"
        decomposed = unicodedata.normalize("NFD", composed)
        assert tokenize(composed) == tokenize(decomposed) == ("cafe",)

    def test_words_are_runs_of_letters_and_digits_each_once(self) -> None:
        assert tokenize("Re: v2.0 release_notes — v2.0!") == ("re", "v2", "0", "release", "notes")

    def test_words_written_with_marks_stay_whole(self) -> None:
        tokens = tokenize("नमस्ते दुनिया")
        assert len(tokens) == 2
        assert matches(tokens, query_words("दुनि"))

    def test_every_query_word_must_start_some_word(self) -> None:
        tokens = tokenize("Deploying to production")
        assert matches(tokens, query_words("deplo prod"))
        assert matches(tokens, query_words("PRODUCTION deploying"))
        assert not matches(tokens, query_words("deplo staging"))
        assert not matches(tokens, query_words("ploy"))


class TestSnippet:
    def test_a_short_text_is_whole_with_whitespace_collapsed(self) -> None:
        assert snippet("Line one\n\n  line   two", ("two",)) == "Line one line two"

    def test_a_long_text_is_cut_on_word_boundaries_around_the_first_match(self) -> None:
        text = " ".join(f"word{n:03d}" for n in range(100)).replace("word050", "Target")

        cut = snippet(text, query_words("targ"))

        assert len(cut) <= SNIPPET_MAX_CHARS
        assert cut.startswith("…word")
        assert cut.endswith("…")
        assert "Target" in cut
        assert cut.index("Target") < SNIPPET_MAX_CHARS // 2

    def test_a_match_near_the_end_fills_the_snippet_from_before(self) -> None:
        text = " ".join(f"word{n:03d}" for n in range(100)) + " finale"

        cut = snippet(text, query_words("finale"))

        assert cut.endswith("word099 finale")
        assert cut.startswith("…")
        assert len(cut) >= SNIPPET_MAX_CHARS - len("word000 ")

    def test_a_match_at_the_start_keeps_the_start(self) -> None:
        text = "Kickoff " + "x" * 300
        cut = snippet(text, query_words("kick"))
        assert cut.startswith("Kickoff xxx")
        assert cut.endswith("x…")
        assert len(cut) == SNIPPET_MAX_CHARS

    @given(
        text=st.text(min_size=0, max_size=600),
        q=st.text(alphabet=st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=20),
    )
    def test_never_longer_than_160_characters(self, text: str, q: str) -> None:
        assert len(snippet(text, query_words(q))) <= SNIPPET_MAX_CHARS

    @given(
        before=st.lists(st.sampled_from(["alpha", "beta", "gamma", "délta"]), max_size=60),
        after=st.lists(st.sampled_from(["alpha", "beta", "gamma", "délta"]), max_size=60),
    )
    def test_the_first_match_is_always_shown(self, before: list[str], after: list[str]) -> None:
        text = " ".join([*before, "Zeppelin", *after])
        assert "Zeppelin" in snippet(text, query_words("zep"))


def entry(
    entry_id: str,
    text: str,
    *,
    version: int = 1,
    chat_id: str = "chat-1",
    kind: SearchKind = SearchKind.MESSAGE,
    minutes: int = 0,
) -> SearchEntry:
    return SearchEntry(
        id=entry_id,
        kind=kind,
        workspace_id="ws-1",
        chat_id=chat_id,
        author_id="user-1",
        created_at=NOW + timedelta(minutes=minutes),
        text=text,
        tokens=tokenize(text),
        version=version,
    )


async def ids_for(index: InMemorySearchIndex, q: str) -> list[str]:
    query = SearchQuery(
        workspace_id="ws-1",
        chat_ids=["chat-1", "chat-2"],
        kinds=list(SearchKind),
        words=query_words(q),
        before=None,
        limit=10,
    )
    return [hit.id for hit in await index.search(query)]


class TestInMemoryIndex:
    async def test_an_older_version_never_overwrites_a_newer_one(self) -> None:
        index = InMemorySearchIndex()
        await index.put(entry("m1", "new words", version=2))
        await index.put(entry("m1", "old words", version=1))
        await index.revise("m1", text="older edit", tokens=tokenize("older edit"), version=2)

        assert await ids_for(index, "new") == ["m1"]
        assert await ids_for(index, "old") == []

    async def test_a_removed_entry_stays_removed_on_replay(self) -> None:
        index = InMemorySearchIndex()
        await index.put(entry("m1", "secret plan", version=1))
        await index.remove("m1", version=3)
        await index.put(entry("m1", "secret plan", version=1))
        await index.revise("m1", text="secret plan", tokens=("secret", "plan"), version=2)

        assert await ids_for(index, "secret") == []

    async def test_removing_a_chat_removes_its_messages_and_nothing_else(self) -> None:
        index = InMemorySearchIndex()
        await index.put(entry("chat-1", "launch", kind=SearchKind.CHAT))
        await index.put(entry("m1", "launch now"))
        await index.put(entry("m2", "launch later", chat_id="chat-2"))
        await index.remove_chat("chat-1")
        await index.put(entry("m1", "launch now"))

        assert await ids_for(index, "launch") == ["m2"]

    async def test_hits_are_newest_first_and_before_is_exclusive(self) -> None:
        index = InMemorySearchIndex()
        for minute, entry_id in enumerate(["a", "b", "c"]):
            await index.put(entry(entry_id, "note", minutes=minute))
        await index.put(entry("b2", "note", minutes=1))

        everything = await index.search(
            SearchQuery("ws-1", ["chat-1"], [SearchKind.MESSAGE], ("note",), None, 10)
        )
        after_b2 = await index.search(
            SearchQuery(
                "ws-1", ["chat-1"], [SearchKind.MESSAGE], ("note",), everything[1].position, 10
            )
        )

        assert [hit.id for hit in everything] == ["c", "b2", "b", "a"]
        assert [hit.id for hit in after_b2] == ["b", "a"]


@pytest.mark.parametrize("q", ["", "   ", "—!"])
def test_a_query_without_letters_or_digits_has_no_words(q: str) -> None:
    assert query_words(q) == ()
