"""Which error codes each route can answer with, kept next to its handler.

A handler names the codes only it can produce with `@problems(...)` (the rules of the domain:
403, 404, 409, 410, ...). The codes every route of a kind can produce are derived here from
what the handler is: authenticated, has a body, has parameters, sits under
`/api/v1` (rate limited), and from the layers in front of it (body size and media type). The
OpenAPI document (openapi.py) is built from `codes_of`, and the black-box tests check every
answer they get against that document, so a route cannot answer with an undocumented status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from litestar.handlers import HTTPRouteHandler

from flowra_core.domain.errors import ErrorCode
from flowra_entrypoints.transport_errors import ProblemCode, TransportCode

H = TypeVar("H", bound=HTTPRouteHandler)

_OPT_KEY = "problems"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Litestar's injected values: not request parameters.
_NOT_PARAMETERS = frozenset({"self", "data", "actor", "core", "request", "state", "headers"})
# A path parameter naming a resource the caller may not see answers 404 with its own code.
_PATH_NOT_FOUND: dict[str, ErrorCode] = {
    "workspace_id": ErrorCode.WORKSPACE_NOT_FOUND,
    "chat_id": ErrorCode.CHAT_NOT_FOUND,
    "message_id": ErrorCode.MESSAGE_NOT_FOUND,
    "notification_id": ErrorCode.NOTIFICATION_NOT_FOUND,
    "token": ErrorCode.INVITE_NOT_FOUND,
    "token_id": ErrorCode.TOKEN_NOT_FOUND,
    "endpoint_id": ErrorCode.WEBHOOK_NOT_FOUND,
}
# An API token may lack the scope the route needs (403 INSUFFICIENT_SCOPE).
_AUTHENTICATED = frozenset(
    {
        ErrorCode.UNAUTHENTICATED,
        ErrorCode.TOKEN_EXPIRED,
        ErrorCode.USER_INACTIVE,
        ErrorCode.INSUFFICIENT_SCOPE,
    }
)


def problems(*codes: ProblemCode) -> Callable[[H], H]:
    """Declares the codes this handler's own rules can answer with (beyond the derived ones)."""

    def mark(handler: H) -> H:
        handler.opt[_OPT_KEY] = frozenset(codes) | handler.opt.get(_OPT_KEY, frozenset())
        return handler

    return mark


def _parameters(handler: HTTPRouteHandler) -> set[str]:
    return set(handler.parsed_fn_signature.parameters) - _NOT_PARAMETERS


def codes_of(handler: HTTPRouteHandler, method: str, path: str) -> set[ProblemCode]:
    """Every error code `method path`, served by `handler`, can answer with."""
    codes: set[ProblemCode] = set(handler.opt.get(_OPT_KEY, frozenset()))
    codes.add(ErrorCode.SERVICE_UNAVAILABLE)
    signature = handler.parsed_fn_signature.parameters
    if path.startswith("/api/v1/"):
        codes.add(TransportCode.RATE_LIMITED)
    if "actor" in signature:
        codes |= _AUTHENTICATED
        if method in _BODY_METHODS:
            # A cookie session writing without its Origin; a command outrun by other writers
            # more times than it retries.
            codes |= {TransportCode.CSRF_REJECTED, ErrorCode.CONCURRENT_MODIFICATION}
    if method in _BODY_METHODS:  # RequestLimitsMiddleware, before any handler
        codes |= {TransportCode.PAYLOAD_TOO_LARGE, TransportCode.UNSUPPORTED_MEDIA_TYPE}
    if "data" in signature:
        codes |= {TransportCode.MALFORMED_REQUEST, ErrorCode.VALIDATION_ERROR}
    names = _parameters(handler)
    if names:
        codes.add(ErrorCode.VALIDATION_ERROR)
    codes |= {_PATH_NOT_FOUND[name] for name in names & set(_PATH_NOT_FOUND) if f"{{{name}" in path}
    return codes
