"""Search hits (http-api.md §4 "SearchHit") and the `types` comma list."""

from __future__ import annotations

from flowra_core.app.search.service import SearchHit
from flowra_entrypoints.http.dto.common import Struct, Timestamp, ts


def comma_list(text: str | None) -> list[str] | None:
    """`a, b,c` → `["a", "b", "c"]`; empty items are dropped; absent stays None."""
    if text is None:
        return None
    return [item.strip() for item in text.split(",") if item.strip()]


class SearchHitResponse(Struct):
    kind: str
    id: str
    workspace_id: str
    chat_id: str
    chat_title: str
    chat_type: str
    snippet: str
    author_id: str | None
    created_at: Timestamp


def search_hit_response(hit: SearchHit) -> SearchHitResponse:
    return SearchHitResponse(
        kind=hit.kind.value,
        id=hit.id,
        workspace_id=hit.workspace_id,
        chat_id=hit.chat_id,
        chat_title=hit.chat_title,
        chat_type=hit.chat_type.value,
        snippet=hit.snippet,
        author_id=hit.author_id,
        created_at=ts(hit.created_at),
    )
