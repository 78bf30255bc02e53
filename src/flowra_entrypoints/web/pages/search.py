"""Search (Ctrl/Cmd+K): the server's search over the workspace's messages, chats and work
items, as a list of links (web-client.md §2 "Search")."""

from __future__ import annotations

from litestar import get
from litestar.params import FromPath, FromQuery
from litestar.response import Response

from flowra_core.domain.tags.grammar import TagName
from flowra_entrypoints.http.dto.search import search_hit_response
from flowra_entrypoints.http.dto.workspaces import member_response
from flowra_entrypoints.web.pages.chats import W, core_of
from flowra_entrypoints.web.pages.common import AnyRequest, page
from flowra_entrypoints.web.viewer import CurrentViewer

_HITS = 20
_SUGGESTIONS = 8


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


@get(W + "/suggest", include_in_schema=False)
async def suggest(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str], q: FromQuery[str] = ""
) -> Response[str]:
    """Composer autocomplete: `@pre` → members, `#pre` → tag names (tags.md)."""
    prefix = q[1:].lower()
    options: list[tuple[str, str]] = []  # (text inserted, label shown)
    if q.startswith("@"):
        members = await core_of(request).workspaces.members(
            viewer.actor, workspace_id, role=None, q=prefix or None, limit=_SUGGESTIONS, cursor=None
        )
        for view in members.items:
            member = member_response(view)
            options.append((f"@{member.username}", f"{member.display_name} (@{member.username})"))
    elif q.startswith("#"):
        names = [tag.value for tag in TagName if tag.value.startswith(prefix)]
        options = [(f"#{name}", f"#{name}") for name in names[:_SUGGESTIONS]]
    return page(request, "fragments/suggestions.html", viewer, options=options)


SEARCH_ROUTES = [search, suggest]
