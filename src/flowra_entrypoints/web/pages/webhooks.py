"""Webhooks under workspace settings (owners and admins): the endpoints with their status
(failing included), create, change, pause and resume, delete; an endpoint's delivery log with
redelivery. Every rule (who, which URL, which events) is the core's `WebhookService`, the same
use cases as the JSON API."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Response

from flowra_core.domain.webhooks import offered_event_types
from flowra_entrypoints.http.controllers.webhooks import delivery_response, webhook_response
from flowra_entrypoints.web.pages.api_tokens import governance_of
from flowra_entrypoints.web.pages.chats import W, core_of
from flowra_entrypoints.web.pages.common import AnyRequest, form_text, go, page, toast_only
from flowra_entrypoints.web.viewer import CurrentViewer

E = W + "/webhooks/{endpoint_id:str}"
_LOG_PAGE = 25


def _events(form: Any) -> list[str]:
    return [event for event in form.getall("events", []) if isinstance(event, str)]


def _home(workspace_id: str, endpoint_id: str | None = None) -> str:
    base = f"/workspaces/{workspace_id}/webhooks"
    return base if endpoint_id is None else f"{base}/{endpoint_id}"


@get(W + "/webhooks", include_in_schema=False)
async def webhooks_page(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str]
) -> Response[str]:
    endpoints = await governance_of(request).webhooks.list_endpoints(viewer.actor, workspace_id)
    workspace = await core_of(request).workspaces.get(viewer.actor, workspace_id)
    return page(
        request,
        "workspace_webhooks.html",
        viewer,
        workspace_id=workspace_id,
        workspace_name=workspace.workspace.name,
        endpoints=[webhook_response(endpoint) for endpoint in endpoints],
        offered=sorted(offered_event_types()),
    )


@post(W + "/webhooks", include_in_schema=False, status_code=200)
async def create_webhook(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: FromPath[str]
) -> Response[str]:
    form = await request.form()
    endpoint = await governance_of(request).webhooks.create(
        viewer.actor, workspace_id, url=form_text(form, "url"), events=_events(form)
    )
    return go(request, _home(workspace_id, endpoint.id))


@get(E, include_in_schema=False)
async def webhook_page(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    endpoint_id: FromPath[str],
    cursor: FromQuery[str | None] = None,
) -> Response[str]:
    hooks = governance_of(request).webhooks
    endpoint = await hooks.get(viewer.actor, workspace_id, endpoint_id)
    log = await hooks.deliveries(
        viewer.actor, workspace_id, endpoint_id, limit=_LOG_PAGE, cursor=cursor or None
    )
    return page(
        request,
        "webhook.html",
        viewer,
        workspace_id=workspace_id,
        endpoint=webhook_response(endpoint),
        deliveries=[delivery_response(delivery) for delivery in log.items],
        next_cursor=log.next_cursor,
        offered=sorted(offered_event_types()),
    )


@post(E, include_in_schema=False, status_code=200)
async def change_webhook(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    endpoint_id: FromPath[str],
) -> Response[str]:
    form = await request.form()
    await governance_of(request).webhooks.update(
        viewer.actor,
        workspace_id,
        endpoint_id,
        url=form_text(form, "url"),
        events=_events(form),
        reactivate=False,
    )
    return toast_only("Saved")


async def _switch(
    request: AnyRequest, viewer: CurrentViewer, workspace_id: str, endpoint_id: str, switch: str
) -> Response[str]:
    await governance_of(request).webhooks.update(
        viewer.actor,
        workspace_id,
        endpoint_id,
        url=None,
        events=None,
        reactivate=switch == "reactivate",
        enabled={"enable": True, "disable": False}.get(switch),
    )
    return go(request, _home(workspace_id, endpoint_id))


@post(E + "/enable", include_in_schema=False, status_code=200)
async def enable_webhook(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    endpoint_id: FromPath[str],
) -> Response[str]:
    return await _switch(request, viewer, workspace_id, endpoint_id, "enable")


@post(E + "/disable", include_in_schema=False, status_code=200)
async def disable_webhook(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    endpoint_id: FromPath[str],
) -> Response[str]:
    return await _switch(request, viewer, workspace_id, endpoint_id, "disable")


@post(E + "/reactivate", include_in_schema=False, status_code=200)
async def reactivate_webhook(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    endpoint_id: FromPath[str],
) -> Response[str]:
    """A failing endpoint becomes active; its parked deliveries are retried."""
    return await _switch(request, viewer, workspace_id, endpoint_id, "reactivate")


@post(E + "/delete", include_in_schema=False, status_code=200)
async def delete_webhook(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    endpoint_id: FromPath[str],
) -> Response[str]:
    await governance_of(request).webhooks.delete(viewer.actor, workspace_id, endpoint_id)
    return go(request, _home(workspace_id))


@post(E + "/deliveries/{delivery_id:str}/redeliver", include_in_schema=False, status_code=200)
async def redeliver(
    request: AnyRequest,
    viewer: CurrentViewer,
    workspace_id: FromPath[str],
    endpoint_id: FromPath[str],
    delivery_id: FromPath[str],
) -> Response[str]:
    await governance_of(request).webhooks.redeliver(
        viewer.actor, workspace_id, endpoint_id, delivery_id
    )
    return go(request, _home(workspace_id, endpoint_id))


WEBHOOK_ROUTES = [
    webhooks_page,
    create_webhook,
    webhook_page,
    change_webhook,
    enable_webhook,
    disable_webhook,
    reactivate_webhook,
    delete_webhook,
    redeliver,
]
