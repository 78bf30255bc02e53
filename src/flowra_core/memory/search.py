"""In-memory search index with the version guard and ordering of the SearchIndex port."""

from __future__ import annotations

from collections.abc import Sequence

from msgspec.structs import replace

from flowra_core.ports.search import SearchEntry, SearchQuery


class InMemorySearchIndex:
    def __init__(self) -> None:
        self._entries: dict[str, SearchEntry] = {}
        # Removed entries keep their version, so an older write cannot bring them back.
        self._removed: dict[str, int] = {}

    def _is_newer(self, entry_id: str, version: int) -> bool:
        if entry_id in self._removed:
            return False
        stored = self._entries.get(entry_id)
        return stored is None or stored.version < version

    async def put(self, entry: SearchEntry) -> None:
        if self._is_newer(entry.id, entry.version):
            self._entries[entry.id] = entry

    async def revise(
        self, entry_id: str, *, text: str, tokens: Sequence[str], version: int
    ) -> None:
        stored = self._entries.get(entry_id)
        if stored is not None and self._is_newer(entry_id, version):
            self._entries[entry_id] = replace(
                stored, text=text, tokens=tuple(tokens), version=version
            )

    async def remove(self, entry_id: str, *, version: int) -> None:
        stored = self._entries.get(entry_id)
        if stored is None or stored.version < version:
            self._entries.pop(entry_id, None)
            self._removed[entry_id] = max(version, self._removed.get(entry_id, 0))

    async def remove_chat(self, chat_id: str) -> None:
        for entry in list(self._entries.values()):
            if entry.chat_id == chat_id:
                del self._entries[entry.id]
                self._removed[entry.id] = entry.version

    async def search(self, query: SearchQuery) -> Sequence[SearchEntry]:
        chat_ids = set(query.chat_ids)
        kinds = set(query.kinds)
        hits = sorted(
            (
                entry
                for entry in self._entries.values()
                if entry.workspace_id == query.workspace_id
                and entry.kind in kinds
                and entry.chat_id in chat_ids
                and (query.before is None or entry.position < query.before)
                and all(
                    any(token.startswith(word) for token in entry.tokens) for word in query.words
                )
            ),
            key=lambda entry: entry.position,
            reverse=True,
        )
        return hits[: query.limit]
