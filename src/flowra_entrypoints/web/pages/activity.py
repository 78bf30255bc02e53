"""`GET C/activity`: the next page of the work-item panel's timeline."""

from __future__ import annotations

from litestar import get
from litestar.params import FromPath, FromQuery
from litestar.response import Response

from flowra_entrypoints.web.pages.chats import C, core_of, member_names
from flowra_entrypoints.web.pages.common import AnyRequest, page
from flowra_entrypoints.web.pages.timeline import activity_context
from flowra_entrypoints.web.viewer import CurrentViewer


@get(C + "/activity", include_in_schema=False)
async def older_activity(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    chat_id: FromPath[str],
    cursor: FromQuery[str | None] = None,
) -> Response[str]:
    names = await member_names(request, viewer, workspace_id)
    context = await activity_context(core_of(request), viewer, workspace_id, chat_id, cursor, names)
    return page(
        request,
        "fragments/activity.html",
        viewer,
        workspace_id=workspace_id,
        chat_id=chat_id,
        **context,
    )


ACTIVITY_ROUTES = [older_activity]
