"""Helpers shared by the page handlers: rendering with the shell's context, HTMX answers."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.response import Response

from flowra_entrypoints.web.state import web_state
from flowra_entrypoints.web.viewer import Viewer

AnyRequest = Request[Any, Any, Any]


def is_htmx(request: AnyRequest) -> bool:
    return request.headers.get("hx-request") == "true"


def page(
    request: AnyRequest,
    template: str,
    viewer: Viewer | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response[str]:
    """A full page or a fragment: every template gets the viewer (None when signed out)."""
    return web_state(request.app.state).templates.response(
        template, status_code=status_code, viewer=viewer, **context
    )


def go(request: AnyRequest, url: str) -> Response[str]:
    """Navigate: `HX-Redirect` for an HTMX request, a 303 for a plain form post."""
    if is_htmx(request):
        return Response("", status_code=200, headers={"HX-Redirect": url})
    return Response("", status_code=303, headers={"Location": url})


def toast_only(message: str) -> Response[str]:
    """Nothing to swap; the page shows `message` as a toast (`flowra:toast`)."""
    trigger = msgspec.json.encode({"flowra:toast": message}).decode()
    return Response("", status_code=200, headers={"HX-Trigger": trigger, "HX-Reswap": "none"})


def form_text(form: Any, name: str) -> str:
    """A form field as text ('' when absent)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
