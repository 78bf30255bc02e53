"""Landing, sign-in and sign-out pages (web-client.md §2): a username form with the local
provider, "Sign in with SSO" (the API's Keycloak code flow) otherwise."""

from __future__ import annotations

from urllib.parse import quote

from litestar import get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery
from litestar.response import Response
from loguru import logger

from flowra_core.app.core import FlowraCore
from flowra_core.domain.errors import FlowraError, ServiceUnavailable, ValidationFailed
from flowra_entrypoints.http.auth import identity_of, require_trusted_origin
from flowra_entrypoints.http.controllers.auth import safe_redirect_target
from flowra_entrypoints.http.sessions import SESSION_COOKIE
from flowra_entrypoints.web.pages.common import AnyRequest, form_text, page
from flowra_entrypoints.web.sessions import oidc_tokens
from flowra_entrypoints.web.state import web_state
from flowra_entrypoints.web.viewer import CurrentViewer, provide_optional_viewer
from flowra_entrypoints.ws.gateway import WebSocketGateway

DEFAULT_AFTER_LOGIN = "/workspaces"


def _next_or_default(target: str | None) -> str:
    if not target:
        return DEFAULT_AFTER_LOGIN
    try:
        return safe_redirect_target(target)
    except ValidationFailed:
        return DEFAULT_AFTER_LOGIN


def _session_cookie(request: AnyRequest, value: str, max_age: int) -> Cookie:
    secure = web_state(request.app.state).secure_cookies
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=secure,
        samesite="lax",
    )


@get("/", include_in_schema=False)
async def landing(request: AnyRequest) -> Response[str]:
    return page(request, "landing.html", await provide_optional_viewer(request))


@get("/login", include_in_schema=False)
async def login_page(request: AnyRequest, next: FromQuery[str | None] = None) -> Response[str]:
    target = _next_or_default(next)
    identity = identity_of(request.app.state)
    sso_url = f"/api/v1/auth/login?redirect_to={quote(target, safe='')}"
    return page(
        request,
        "login.html",
        None,
        next=target,
        local=identity.local is not None,
        sso_url=sso_url,
        error=None,
    )


@post("/login", include_in_schema=False, status_code=303)
async def login_local(request: AnyRequest) -> Response[str]:
    """The local provider's sign-in: any valid username (the embedded profile only)."""
    identity = identity_of(request.app.state)
    local = identity.require_local()
    require_trusted_origin(request, identity.cookies)  # no login CSRF from other sites
    form = await request.form()
    target = _next_or_default(form_text(form, "next"))
    core: FlowraCore = request.app.state.core
    try:
        issued = await local.issue(form_text(form, "username"))
        await core.users.provision(issued.claims)
    except ValidationFailed as error:
        message = "; ".join(e.message for e in error.errors)
        context = {"next": target, "local": True, "sso_url": "", "error": message}
        return page(request, "login.html", None, status_code=422, **context)
    sessions = web_state(request.app.state).sessions
    cookie = _session_cookie(
        request, await sessions.open(oidc_tokens(issued)), sessions.cookie_max_age
    )
    return Response("", status_code=303, headers={"Location": target}, cookies=[cookie])


@get("/logout", include_in_schema=False)
async def logout_page(request: AnyRequest, viewer: CurrentViewer) -> Response[str]:
    return page(request, "logout.html", viewer)


@post("/logout", include_in_schema=False, status_code=303)
async def logout(request: AnyRequest, viewer: CurrentViewer) -> Response[str]:
    """Ends our session and, with Keycloak, the IdP's session too."""
    identity = identity_of(request.app.state)
    cookie = request.cookies.get(SESSION_COOKIE, "")
    refresh_token = await web_state(request.app.state).sessions.end(cookie)
    if identity.local is not None:
        # Keycloak's session book tells the gateway itself; ours is told here (4401).
        gateway: WebSocketGateway = request.app.state.ws_gateway
        await gateway.session_ended(viewer.session_id)
    if refresh_token is not None:
        await _end_provider_session(request, refresh_token)
    expired = _session_cookie(request, "", 0)
    headers = {"Location": "/login", "HX-Redirect": "/login"}
    return Response("", status_code=303, headers=headers, cookies=[expired])


async def _end_provider_session(request: AnyRequest, refresh_token: str) -> None:
    identity = identity_of(request.app.state)
    if identity.local is not None:
        await identity.local.revoke(refresh_token)
        return
    keycloak = identity.require_keycloak()
    try:
        await keycloak.oidc.logout(refresh_token)
    except (ServiceUnavailable, FlowraError) as error:
        # Ours is gone already; an unreachable IdP is logged, not shown to the person.
        logger.bind(logger="web").warning("the IdP session was not ended", error=error.message)


AUTH_ROUTES = [landing, login_page, login_local, logout_page, logout]
