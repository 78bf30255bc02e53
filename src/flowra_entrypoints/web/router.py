"""The web client's routes, mounted at `/` next to the JSON API (which stays on `/api/v1`)."""

from __future__ import annotations

from typing import Any

from litestar import Router
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.response import Response
from litestar.static_files import create_static_files_router

from flowra_core.domain.errors import FlowraError
from flowra_entrypoints.container import Container
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.transport_errors import TransportError
from flowra_entrypoints.web.errors import (
    flowra_error,
    http_error,
    sign_in_required,
    transport_error,
    unexpected,
)
from flowra_entrypoints.web.pages.activity import ACTIVITY_ROUTES
from flowra_entrypoints.web.pages.api_tokens import TOKEN_ROUTES
from flowra_entrypoints.web.pages.audit import AUDIT_ROUTES
from flowra_entrypoints.web.pages.auth import AUTH_ROUTES
from flowra_entrypoints.web.pages.board import BOARD_ROUTES
from flowra_entrypoints.web.pages.chats import CHAT_ROUTES
from flowra_entrypoints.web.pages.files import file_routes
from flowra_entrypoints.web.pages.live import LIVE_ROUTES
from flowra_entrypoints.web.pages.messages import MESSAGE_ROUTES
from flowra_entrypoints.web.pages.notifications import NOTIFICATION_ROUTES
from flowra_entrypoints.web.pages.search import SEARCH_ROUTES
from flowra_entrypoints.web.pages.settings import SETTINGS_ROUTES
from flowra_entrypoints.web.pages.webhooks import WEBHOOK_ROUTES
from flowra_entrypoints.web.pages.workspaces import WORKSPACE_ROUTES
from flowra_entrypoints.web.sessions import CsrfTokens, web_session_book
from flowra_entrypoints.web.state import WebState
from flowra_entrypoints.web.templating import SECURITY_HEADERS, STATIC_DIR, Templates
from flowra_entrypoints.web.viewer import SignInRequired, provide_viewer


async def _no_sniff(response: Response[Any]) -> Response[Any]:
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def web_routers(upload_max_size: int) -> list[Router]:
    pages = Router(
        path="/",
        route_handlers=[
            *AUTH_ROUTES,
            *WORKSPACE_ROUTES,
            *CHAT_ROUTES,
            *MESSAGE_ROUTES,
            *BOARD_ROUTES,
            *NOTIFICATION_ROUTES,
            *LIVE_ROUTES,
            *ACTIVITY_ROUTES,
            *SETTINGS_ROUTES,
            *SEARCH_ROUTES,
            *TOKEN_ROUTES,
            *WEBHOOK_ROUTES,
            *AUDIT_ROUTES,
            *file_routes(upload_max_size),
        ],
        dependencies={"viewer": Provide(provide_viewer)},
        response_headers=SECURITY_HEADERS,
        exception_handlers={
            SignInRequired: sign_in_required,
            FlowraError: flowra_error,
            TransportError: transport_error,
            HTTPException: http_error,
            Exception: unexpected,
        },
        include_in_schema=False,
    )
    static = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        after_request=_no_sniff,
        include_in_schema=False,
    )
    return [pages, static]


def web_state_entry(container: Container) -> dict[str, WebState]:
    """The app-state entry `web` (read by `flowra_entrypoints.web.state.web_state`)."""
    settings: Settings = container.settings()
    secret = settings.auth.jwt_secret
    identity = container.identity()
    sessions = web_session_book(
        identity,
        store=container.ephemeral(),
        tokens=container.tokens(),
        clock=container.clock(),
        secret=secret,
        max_lifetime=settings.auth.refresh_token_ttl,
    )
    state = WebState(
        sessions=sessions,
        csrf=CsrfTokens(secret),
        templates=Templates(),
        upload_max_size=settings.uploads.max_size,
        secure_cookies=identity.cookies.secure
        or settings.server.public_url.lower().startswith("https://"),
    )
    return {"web": state}
