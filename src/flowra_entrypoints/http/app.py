"""Builds the Litestar application: routes, errors and OpenAPI from the settings' `Routing`,
the state from the container (the lifespan is in lifespan.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from litestar import Litestar, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, MethodNotAllowedException, NotFoundException
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.routes import HTTPRoute

from flowra_core.domain.errors import FlowraError, ServiceUnavailable
from flowra_entrypoints.container import Container
from flowra_entrypoints.http.access import AccessLogMiddleware, ASGIApp
from flowra_entrypoints.http.admission import AdmissionMiddleware
from flowra_entrypoints.http.audit_trail import AuditTrailMiddleware
from flowra_entrypoints.http.auth import provide_actor, provide_core
from flowra_entrypoints.http.controllers.audit import (
    SystemAuditController,
    WorkspaceAuditController,
)
from flowra_entrypoints.http.controllers.auth import AuthController
from flowra_entrypoints.http.controllers.chats import ChatsController, TasksController
from flowra_entrypoints.http.controllers.files import file_routes
from flowra_entrypoints.http.controllers.messages import MessagesController
from flowra_entrypoints.http.controllers.notifications import NotificationsController
from flowra_entrypoints.http.controllers.search import SearchController
from flowra_entrypoints.http.controllers.tokens import (
    BotsController,
    TokensController,
    provide_governance,
)
from flowra_entrypoints.http.controllers.users import UsersController
from flowra_entrypoints.http.controllers.webhooks import WebhooksController
from flowra_entrypoints.http.controllers.workspaces import InvitesController, WorkspacesController
from flowra_entrypoints.http.controllers.ws_ticket import WebSocketTicketController
from flowra_entrypoints.http.docs_page import docs_routes
from flowra_entrypoints.http.health import (
    APP_VERSION,
    HealthController,
    health_state,
    metrics_endpoint,
)
from flowra_entrypoints.http.lifespan import CONTAINER_KEY, lifespan
from flowra_entrypoints.http.limits import RateLimits, RequestLimitsMiddleware
from flowra_entrypoints.http.openapi import (
    ContractJsonRenderPlugin,
    RequestBodySchemaPlugin,
)
from flowra_entrypoints.http.problems import (
    handle_flowra_error,
    handle_http_exception,
    handle_service_unavailable,
    handle_transport_error,
    handle_unexpected,
)
from flowra_entrypoints.http.strict_bodies import strict_json_body
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.transport_errors import TransportError
from flowra_entrypoints.web.router import web_routers, web_state_entry
from flowra_entrypoints.ws.asgi import websocket_endpoint
from flowra_entrypoints.ws.frames import websocket_json_schema

WEBSOCKET_SCHEMA = websocket_json_schema()
API_DESCRIPTION = (
    "Flowra's REST API (`/api/v1`). Errors are `application/problem+json` (schema `Problem`). "
    "Live updates go over the WebSocket `GET /api/v1/ws` (ticket from `POST /api/v1/ws/ticket`); "
    "its client and server frames are described by the JSON Schema at "
    "[/schema/websocket.json](/schema/websocket.json)."
)


@get("/schema/websocket.json", include_in_schema=False, sync_to_thread=False)
def websocket_schema() -> dict[str, Any]:
    """The WebSocket frames as JSON Schema (linked from the OpenAPI `info.description`)."""
    return WEBSOCKET_SCHEMA


def _cors(allowed_origins: tuple[str, ...]) -> CORSConfig | None:
    origins = list(allowed_origins)
    if not origins:
        return None
    return CORSConfig(
        allow_origins=origins, allow_credentials=True, expose_headers=["X-Request-ID"]
    )


def _built_now(container: Container, settings: Settings) -> dict[str, Any]:
    """The core and the gateway when they need nothing awaited (the memory backend): in
    `app.state` from the start. With the mongo backend they wait for the database client, so
    the lifespan builds them."""
    if settings.storage.backend != "memory":
        return {}
    return {
        "core": container.core(),
        "ws_gateway": container.ws_gateway(),
    }


@dataclass(frozen=True)
class Routing:
    """All an app's routes, middleware and OpenAPI document depend on. Building them is most of
    the cost of an app (Litestar parses every handler's signature); apps of equal `Routing` differ
    only in their state, filled from a container by `bind_container`."""

    metrics: bool
    upload_max_size: int
    trusted_proxies: tuple[str, ...]
    cors_origins: tuple[str, ...]

    @classmethod
    def of(cls, settings: Settings) -> Routing:
        return cls(
            metrics=settings.metrics.enabled,
            upload_max_size=settings.uploads.max_size,
            trusted_proxies=tuple(settings.server.trusted_proxies),
            cors_origins=tuple(settings.cors.allowed_origins),
        )


def routed_litestar(routing: Routing) -> Litestar:
    """The app without its state: it serves once `bind_container` has filled it."""
    litestar = Litestar(
        route_handlers=[
            *([metrics_endpoint] if routing.metrics else []),
            HealthController,
            *docs_routes(),
            websocket_schema,
            AuthController,
            UsersController,
            WorkspacesController,
            InvitesController,
            WebSocketTicketController,
            websocket_endpoint,
            ChatsController,
            TasksController,
            MessagesController,
            *file_routes(routing.upload_max_size),
            NotificationsController,
            SearchController,
            *web_routers(routing.upload_max_size),  # the web client at `/` (API: /api/v1)
            TokensController,
            BotsController,
            WorkspaceAuditController,
            SystemAuditController,
            WebhooksController,
        ],
        dependencies={
            "actor": Provide(provide_actor),
            "core": Provide(provide_core, sync_to_thread=False),
            "governance": Provide(provide_governance, sync_to_thread=False),
        },
        lifespan=[lifespan],
        before_request=strict_json_body,
        exception_handlers={
            HTTPException: handle_http_exception,
            ServiceUnavailable: handle_service_unavailable,
            FlowraError: handle_flowra_error,
            TransportError: handle_transport_error,
            Exception: handle_unexpected,
        },
        plugins=[RequestBodySchemaPlugin()],
        middleware=[
            DefineMiddleware(AuditTrailMiddleware, trusted_proxies=routing.trusted_proxies)
        ],
        openapi_config=OpenAPIConfig(
            title="Flowra API",
            version=APP_VERSION,
            description=API_DESCRIPTION,
            path="/schema",
            render_plugins=[ContractJsonRenderPlugin(path=["/", "/openapi.json"])],
        ),
        cors_config=_cors(routing.cors_origins),
        request_max_body_size=1024 * 1024,
        debug=False,
    )
    _repair_options_allow(litestar)
    return litestar


def bind_container(litestar: Litestar, container: Container) -> Litestar:
    """Fills the app's state from `container` (a fresh state: nothing of an earlier binding
    stays). `app.state.core` and `app.state.ws_gateway` are set by the time the lifespan has
    started (see `_built_now`); the lifespan starts and stops the container's parts."""
    settings: Settings = container.settings()
    litestar.state = State(
        {
            CONTAINER_KEY: container,
            **health_state(settings, container.health()),
            **_built_now(container, settings),
            **web_state_entry(container),
            "identity": container.identity(),
            "rate_limiter": container.rate_limiter(),
            "metrics": container.metrics(),
            "ws_tickets": container.ws_tickets(),
            "user_rate_limit": (settings.rate_limit.user_limit, settings.rate_limit.window),
        }
    )
    return litestar


def create_litestar(container: Container) -> Litestar:
    """The app for `container`'s settings, bound to it."""
    return bind_container(routed_litestar(Routing.of(container.settings())), container)


def _routable(litestar: Litestar) -> Callable[[str, str], bool]:
    def routable(method: str, path: str) -> bool:
        try:
            litestar.asgi_router.handle_routing(path=path.rstrip("/") or "/", method=method)
        except (NotFoundException, MethodNotAllowedException):
            return False
        return True

    return routable


def _repair_options_allow(litestar: Litestar) -> None:
    """Litestar (2.x) builds a path's OPTIONS handler when the path's first handler is
    registered, bound to that first route object, and keeps it when later handlers of other
    methods join the path: `Allow` then lists only the first handler's methods. Bind each
    OPTIONS handler to the route that finally serves its path."""
    for route in litestar.routes:
        if not isinstance(route, HTTPRoute) or "OPTIONS" not in route.route_handler_map:
            continue
        handler = route.route_handler_map["OPTIONS"][0]
        for cell in getattr(handler.fn, "__closure__", None) or ():
            if isinstance(cell.cell_contents, HTTPRoute):
                cell.cell_contents = route


def create_app(container: Container, litestar: Litestar | None = None) -> AccessLogMiddleware:
    """The ASGI application served by uvicorn: Litestar wrapped in the access layer.
    `litestar`: an app of `routed_litestar` for `Routing.of` these settings, bound here to
    `container` instead of building one (the unit tests reuse one app per routing)."""
    settings: Settings = container.settings()
    if litestar is None:
        litestar = create_litestar(container)
    else:
        bind_container(litestar, container)
    admission = AdmissionMiddleware(
        cast(ASGIApp, litestar),
        max_concurrent=settings.server.max_concurrent_requests,
        queue_timeout=settings.server.queue_timeout,
        metrics=container.metrics(),
    )
    limits = RequestLimitsMiddleware(
        admission,
        upload_max_size=settings.uploads.max_size,
        limiter=container.rate_limiter(),
        limits=RateLimits(
            window=settings.rate_limit.window,
            user_limit=settings.rate_limit.user_limit,
            ip_limit=settings.rate_limit.ip_limit,
            auth_limit=settings.rate_limit.auth_limit,
        ),
        trusted_proxies=settings.server.trusted_proxies,
        routable=_routable(litestar),
    )
    return AccessLogMiddleware(
        limits,
        litestar=litestar,
        write_timeout=settings.server.write_timeout,
        metrics=container.metrics(),
    )
