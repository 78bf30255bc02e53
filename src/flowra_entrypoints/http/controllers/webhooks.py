"""Webhook routes of a workspace (its admins): endpoints, their delivery log, redelivery."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from flowra_core.domain.errors import ErrorCode
from flowra_core.domain.webhooks import WebhookDelivery, WebhookEndpoint
from flowra_entrypoints.http.auth import CurrentActor
from flowra_entrypoints.http.controllers.tokens import GovernanceDep
from flowra_entrypoints.http.dto.common import (
    ListResponse,
    RequestBody,
    Struct,
    Timestamp,
    list_response,
    ts,
    ts_or_none,
)
from flowra_entrypoints.http.dto.constraints import Cursor, Limit
from flowra_entrypoints.http.error_contract import problems

E = "/{endpoint_id:str}"
_ERRORS = (ErrorCode.WORKSPACE_NOT_FOUND, ErrorCode.FORBIDDEN, ErrorCode.WEBHOOK_NOT_FOUND)


class CreateWebhookRequest(RequestBody):
    url: str
    events: list[str]


class UpdateWebhookRequest(RequestBody):
    url: str | None = None
    events: list[str] | None = None
    reactivate: bool = False  # a failing endpoint becomes active; parked deliveries are retried
    enabled: bool | None = None  # false pauses the endpoint, true resumes it (like reactivate)


class WebhookResponse(Struct):
    id: str
    workspace_id: str
    url: str
    events: list[str]
    secret: str
    status: str
    failing_since: Timestamp | None
    created_by: str
    created_at: Timestamp
    updated_at: Timestamp


class DeliveryResponse(Struct):
    id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    created_at: Timestamp
    next_attempt_at: Timestamp
    delivered_at: Timestamp | None
    response_code: int | None
    error: str | None
    latency_ms: int | None
    response_body: str | None


def webhook_response(endpoint: WebhookEndpoint) -> WebhookResponse:
    return WebhookResponse(
        id=endpoint.id,
        workspace_id=endpoint.workspace_id,
        url=endpoint.url,
        events=list(endpoint.events),
        secret=endpoint.secret,
        status=endpoint.status.value,
        failing_since=ts_or_none(endpoint.failing_since),
        created_by=endpoint.created_by,
        created_at=ts(endpoint.created_at),
        updated_at=ts(endpoint.updated_at),
    )


def delivery_response(delivery: WebhookDelivery) -> DeliveryResponse:
    return DeliveryResponse(
        id=delivery.id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        status=delivery.status.value,
        attempts=delivery.attempts,
        created_at=ts(delivery.created_at),
        next_attempt_at=ts(delivery.next_attempt_at),
        delivered_at=ts_or_none(delivery.delivered_at),
        response_code=delivery.last_status_code,
        error=delivery.last_error,
        latency_ms=delivery.last_latency_ms,
        response_body=delivery.last_response,
    )


class WebhookListResponse(Struct):
    items: list[WebhookResponse]


class WebhooksController(Controller):
    path = "/api/v1/workspaces/{workspace_id:str}/webhooks"
    tags = ["webhooks"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @problems(*_ERRORS, ErrorCode.VALIDATION_ERROR)
    @post(
        "/",
        summary="Register an endpoint (workspace admins); the response holds its signing secret",
    )
    async def create(
        self,
        workspace_id: FromPath[str],
        data: JSONBody[CreateWebhookRequest],
        actor: CurrentActor,
        governance: GovernanceDep,
    ) -> Response[WebhookResponse]:
        endpoint = await governance.webhooks.create(
            actor, workspace_id, url=data.url, events=data.events
        )
        return Response(webhook_response(endpoint), status_code=HTTP_201_CREATED)

    @problems(*_ERRORS)
    @get("/", summary="The workspace's endpoints")
    async def list_endpoints(
        self, workspace_id: FromPath[str], actor: CurrentActor, governance: GovernanceDep
    ) -> WebhookListResponse:
        endpoints = await governance.webhooks.list_endpoints(actor, workspace_id)
        return WebhookListResponse(items=[webhook_response(e) for e in endpoints])

    @problems(*_ERRORS)
    @get(E, summary="An endpoint (status shows `failing`)")
    async def get_endpoint(
        self,
        workspace_id: FromPath[str],
        endpoint_id: FromPath[str],
        actor: CurrentActor,
        governance: GovernanceDep,
    ) -> WebhookResponse:
        return webhook_response(await governance.webhooks.get(actor, workspace_id, endpoint_id))

    @problems(*_ERRORS, ErrorCode.VALIDATION_ERROR)
    @patch(E, summary="Change the URL or the events, or reactivate a failing endpoint")
    async def update(
        self,
        workspace_id: FromPath[str],
        endpoint_id: FromPath[str],
        data: JSONBody[UpdateWebhookRequest],
        actor: CurrentActor,
        governance: GovernanceDep,
    ) -> WebhookResponse:
        endpoint = await governance.webhooks.update(
            actor,
            workspace_id,
            endpoint_id,
            url=data.url,
            events=data.events,
            reactivate=data.reactivate,
            enabled=data.enabled,
        )
        return webhook_response(endpoint)

    @problems(*_ERRORS)
    @delete(E, summary="Delete an endpoint (its log is kept)")
    async def delete_endpoint(
        self,
        workspace_id: FromPath[str],
        endpoint_id: FromPath[str],
        actor: CurrentActor,
        governance: GovernanceDep,
    ) -> None:
        await governance.webhooks.delete(actor, workspace_id, endpoint_id)

    @problems(*_ERRORS, ErrorCode.VALIDATION_ERROR)
    @get(E + "/deliveries", summary="The endpoint's delivery log, newest first")
    async def deliveries(
        self,
        workspace_id: FromPath[str],
        endpoint_id: FromPath[str],
        actor: CurrentActor,
        governance: GovernanceDep,
        limit: FromQuery[Limit | None] = None,
        cursor: FromQuery[Cursor | None] = None,
    ) -> ListResponse[DeliveryResponse]:
        page = await governance.webhooks.deliveries(
            actor, workspace_id, endpoint_id, limit=limit, cursor=cursor
        )
        return list_response(page, delivery_response)

    @problems(*_ERRORS)
    @post(
        E + "/deliveries/{delivery_id:str}/redeliver",
        status_code=HTTP_200_OK,
        summary="Send a delivery again now (same event id and body)",
    )
    async def redeliver(
        self,
        workspace_id: FromPath[str],
        endpoint_id: FromPath[str],
        delivery_id: FromPath[str],
        actor: CurrentActor,
        governance: GovernanceDep,
    ) -> DeliveryResponse:
        delivery = await governance.webhooks.redeliver(
            actor, workspace_id, endpoint_id, delivery_id
        )
        return delivery_response(delivery)
