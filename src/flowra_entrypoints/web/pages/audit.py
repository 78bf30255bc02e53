"""The audit log under workspace settings (owners and admins, the core's `AuditService`
decides): newest first, filters by action, actor and time range, cursor "more", and the JSON
Lines export of what is filtered."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import get
from litestar.params import FromPath, FromQuery
from litestar.response import Response, Stream

from flowra_core.domain.audit import AuditAction
from flowra_entrypoints.http.controllers.audit import (
    JSON_LINES,
    audit_filter,
    entry_response,
    json_lines,
)
from flowra_entrypoints.http.dto.workspaces import member_response
from flowra_entrypoints.web.pages.api_tokens import governance_of
from flowra_entrypoints.web.pages.chats import W, core_of
from flowra_entrypoints.web.pages.common import AnyRequest, page
from flowra_entrypoints.web.viewer import CurrentViewer

_PAGE = 50
_MEMBERS_MAX = 100


def _utc(raw: str | None) -> str | None:
    """A `datetime-local` field (no zone) read as UTC, as the page says; '' is no bound."""
    if not raw:
        return None
    return raw if raw.endswith("Z") or "+" in raw else raw + "+00:00"


@get(W + "/audit", include_in_schema=False)
async def audit_page(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    action: FromQuery[str | None] = None,
    actor_id: FromQuery[str | None] = None,
    since: FromQuery[str | None] = None,
    until: FromQuery[str | None] = None,
    cursor: FromQuery[str | None] = None,
) -> Response[str]:
    where = audit_filter(workspace_id, actor_id or None, action or None, _utc(since), _utc(until))
    entries = await governance_of(request).audit.read(
        viewer.actor, where, limit=_PAGE, cursor=cursor or None
    )
    core = core_of(request)
    workspace = await core.workspaces.get(viewer.actor, workspace_id)
    members = await core.workspaces.members(
        viewer.actor, workspace_id, role=None, q=None, limit=_MEMBERS_MAX, cursor=None
    )
    people = [member_response(view) for view in members.items]
    names = {person.user_id: f"{person.display_name} (@{person.username})" for person in people}
    filters = {
        key: value
        for key, value in (
            ("action", action),
            ("actor_id", actor_id),
            ("since", since),
            ("until", until),
        )
        if value
    }
    export = {key: value for key, value in filters.items() if key not in ("since", "until")}
    export.update({key: str(_utc(filters[key])) for key in ("since", "until") if key in filters})
    return page(
        request,
        "workspace_audit.html",
        viewer,
        workspace_id=workspace_id,
        workspace_name=workspace.workspace.name,
        entries=[entry_response(entry) for entry in entries.items],
        names=names,
        people=people,
        actions=[a.value for a in AuditAction],
        filters=filters,
        more_query=urlencode({**filters, "cursor": entries.next_cursor})
        if entries.next_cursor
        else None,
        export_query=urlencode(export),
    )


@get(W + "/audit/export", include_in_schema=False, media_type=JSON_LINES)
async def audit_export(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    action: FromQuery[str | None] = None,
    actor_id: FromQuery[str | None] = None,
    since: FromQuery[str | None] = None,
    until: FromQuery[str | None] = None,
) -> Stream:
    """The JSON API's export, for the browser's session (the API takes Bearer tokens)."""
    where = audit_filter(workspace_id, actor_id or None, action or None, since, until)
    entries = await governance_of(request).audit.export(viewer.actor, where)
    return Stream(
        json_lines(entries),
        media_type=JSON_LINES,
        headers={"Content-Disposition": f'attachment; filename="audit-{workspace_id}.jsonl"'},
    )


AUDIT_ROUTES = [audit_page, audit_export]
