"""How the web client answers errors: a normal page for a full page, a short text for an
HTMX or script request (shown as a toast), sign-in for a missing session. A page for something
the viewer may not see is a 404 like anything missing (never 403)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.exceptions import HTTPException
from litestar.response import Response
from loguru import logger

from flowra_core.domain.errors import FlowraError
from flowra_entrypoints.http.problems import STATUS_OF
from flowra_entrypoints.transport_errors import TransportError
from flowra_entrypoints.web.state import web_state
from flowra_entrypoints.web.viewer import SignInRequired

AnyRequest = Request[Any, Any, Any]
_TITLES = {
    401: "Sign in needed",
    403: "Not allowed",
    404: "Page not found",
    409: "Conflict",
    410: "Gone",
    413: "Too large",
    422: "Check your input",
    429: "Slow down",
    503: "Try again shortly",
}


def _wants_fragment(request: AnyRequest) -> bool:
    """HTMX and our scripts' fetches want a short answer, not a page."""
    return request.headers.get("hx-request") == "true" or request.method != "GET"


def sign_in_required(request: AnyRequest, _: SignInRequired) -> Response[str]:
    if request.headers.get("hx-request") == "true":
        current = request.headers.get("hx-current-url", "")
        path = "/" + current.split("/", 3)[3] if current.count("/") >= 3 else "/"
        target = f"/login?next={quote(path, safe='')}"
        return Response("Sign in again", status_code=401, headers={"HX-Redirect": target})
    if request.method != "GET":
        return Response("Sign in again", status_code=401, media_type="text/plain")
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Response(
        "", status_code=303, headers={"Location": f"/login?next={quote(path, safe='')}"}
    )


def _answer(request: AnyRequest, status: int, message: str) -> Response[str]:
    if _wants_fragment(request):
        return Response(message, status_code=status, media_type="text/plain")
    templates = web_state(request.app.state).templates
    return templates.response(
        "error.html",
        status_code=status,
        viewer=None,
        title=_TITLES.get(status, "Something went wrong"),
        message=message,
        status=status,
    )


def flowra_error(request: AnyRequest, error: FlowraError) -> Response[str]:
    status = STATUS_OF.get(error.code, 500)
    if status == 404:
        return _answer(request, 404, "There is nothing here, or you cannot see it.")
    if status >= 500:
        logger.bind(logger="web").opt(exception=error).error("web request failed")
        return _answer(request, status, "The service is busy or unavailable; try again.")
    return _answer(request, status, error.message)


def transport_error(request: AnyRequest, error: TransportError) -> Response[str]:
    return _answer(request, STATUS_OF[error.code], error.message)


def http_error(request: AnyRequest, error: HTTPException) -> Response[str]:
    status = error.status_code
    if status == 404:
        return _answer(request, 404, "There is nothing here, or you cannot see it.")
    return _answer(request, status, str(error.detail))


def unexpected(request: AnyRequest, error: Exception) -> Response[str]:
    logger.bind(logger="web").opt(exception=error).error("web request failed unexpectedly")
    return _answer(request, 500, "Something went wrong on our side; try again.")
