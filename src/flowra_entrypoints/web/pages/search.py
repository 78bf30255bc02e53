"""Search (Ctrl/Cmd+K): the server's search over the workspace's messages, chats and work
items, as a list of links (web-client.md §2 "Search")."""

from __future__ import annotations

from litestar import get
from litestar.params import FromPath, FromQuery
from litestar.response import Response

from flowra_entrypoints.http.dto.search import search_hit_response
from flowra_entrypoints.web.pages.chats import W, core_of
from flowra_entrypoints.web.pages.common import AnyRequest, page
from flowra_entrypoints.web.viewer import CurrentViewer

_HITS = 20


@get(W + "/search", include_in_schema=False)
async def search(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str], q: FromQuery[str] = ""
) -> Response[str]:
    hits = []
    if q.strip():
        found = await core_of(request).search.search(viewer.actor, workspace_id, q=q, limit=_HITS)
        hits = [search_hit_response(hit) for hit in found.items]
    return page(
        request, "fragments/search_hits.html", viewer, hits=hits, q=q, workspace_id=workspace_id
    )


SEARCH_ROUTES = [search]
