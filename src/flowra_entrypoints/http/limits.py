"""Request limits applied before routing: body media type and size, IP rate limits.

Per-user limits need the authenticated user and are counted in `auth.provide_actor`;
the headers of whichever bucket counted the request are added by the access layer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flowra_core.domain.errors import ErrorCode
from flowra_core.ports.rate_limit import RateLimiter
from flowra_entrypoints.http.access import (
    ASGIApp,
    Receive,
    Scope,
    Send,
    raw_problem,
    send_raw_problem,
)
from flowra_entrypoints.http.request_context import request_id_of, set_rate_decision
from flowra_entrypoints.transport_errors import ProblemCode, TransportCode

JSON_BODY_LIMIT = 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_UNLIMITED_PREFIXES = ("/health", "/ready", "/metrics", "/docs", "/schema", "/api/v1/ws")
_AUTH_PATHS = frozenset(
    {
        "/api/v1/auth/token",
        "/api/v1/auth/refresh",
        "/api/v1/auth/dev/token",
        "/api/v1/auth/login",
        "/api/v1/auth/callback",
    }
)
_INVITES_PREFIX = "/api/v1/invites/"
UPLOAD_SUFFIX = "/files"


@dataclass(frozen=True, slots=True)
class RateLimits:
    window: float
    user_limit: int
    ip_limit: int
    auth_limit: int

    def policy(self, limit: int) -> str:
        return f"{limit};w={int(self.window)}"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def client_ip(
    scope: Scope, trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> str:
    """The socket peer; X-Forwarded-For is believed only when the peer is a trusted proxy,
    and then the right-most address that is not itself a trusted proxy is the client."""
    client = scope.get("client")
    peer = str(client[0]) if client else "unknown"
    forwarded = _header(scope, b"x-forwarded-for")
    if not forwarded or not _is_trusted(peer, trusted):
        return peer
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not _is_trusted(hop, trusted):
            return hop
    return peer


def _is_trusted(
    address: str, trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def is_upload(method: str, path: str) -> bool:
    return (
        method == "POST" and path.startswith("/api/v1/workspaces/") and path.endswith(UPLOAD_SUFFIX)
    )


# The web client (everything outside /api/) posts HTML forms, not JSON (web-client.md).
_WEB_FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def is_web_upload(method: str, path: str) -> bool:
    return method == "POST" and not path.startswith("/api/") and path.endswith(UPLOAD_SUFFIX)


class RequestLimitsMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        upload_max_size: int,
        limiter: RateLimiter | None,
        limits: RateLimits,
        trusted_proxies: Sequence[str],
        routable: Callable[[str, str], bool] | None = None,
    ) -> None:
        self._app = app
        # Whether `method path` has a handler: a body of the wrong type sent with a method the
        # path does not have is a 405 (the router's), not a 415.
        self._routable = routable
        self._upload_limit = upload_max_size + MULTIPART_OVERHEAD
        self._limiter = limiter
        self._limits = limits
        self._trusted = [ipaddress.ip_network(cidr, strict=False) for cidr in trusted_proxies]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        refusal = self._body_refusal(scope)
        if refusal is not None:
            status, code, detail = refusal
            await self._refuse(scope, send, status, code, detail)
            return
        if self._limiter is not None and not await self._within_ip_budget(scope):
            await self._refuse(
                scope, send, 429, TransportCode.RATE_LIMITED, "Too many requests; slow down"
            )
            return
        await self._app(scope, receive, send)

    def _body_refusal(self, scope: Scope) -> tuple[int, ProblemCode, str] | None:
        method, path = scope["method"], scope["path"]
        if method not in _BODY_METHODS:
            return None
        length_text = _header(scope, b"content-length")
        length = int(length_text) if length_text and length_text.isdigit() else None
        has_body = (length is not None and length > 0) or (
            _header(scope, b"transfer-encoding") is not None
        )
        upload = is_upload(method, path) or is_web_upload(method, path)
        limit = self._upload_limit if upload else JSON_BODY_LIMIT
        if length is not None and length > limit:
            code = ErrorCode.FILE_TOO_LARGE if upload else TransportCode.PAYLOAD_TOO_LARGE
            return 413, code, f"The body is larger than {limit} bytes"
        if not has_body:
            return None
        media_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if not path.startswith("/api/"):
            if media_type in _WEB_FORMS:
                return None
            return 415, TransportCode.UNSUPPORTED_MEDIA_TYPE, "Send the form as a form"
        wanted_ok = (
            media_type == "multipart/form-data"
            if upload
            else media_type == "application/json" or media_type.endswith("+json")
        )
        if not wanted_ok and (self._routable is None or self._routable(method, path)):
            wanted = "multipart/form-data" if upload else "application/json"
            return 415, TransportCode.UNSUPPORTED_MEDIA_TYPE, f"Send the body as {wanted}"
        return None

    async def _within_ip_budget(self, scope: Scope) -> bool:
        assert self._limiter is not None
        path = scope["path"]
        if path.startswith(_UNLIMITED_PREFIXES):
            return True
        if path in _AUTH_PATHS or path.startswith(_INVITES_PREFIX):
            bucket, limit = "auth", self._limits.auth_limit
        elif _header(scope, b"authorization") is None:
            bucket, limit = "ip", self._limits.ip_limit
        else:
            return True  # counted per user once authenticated
        decision = await self._limiter.hit(
            bucket, client_ip(scope, self._trusted), limit=limit, window_seconds=self._limits.window
        )
        set_rate_decision(scope, decision, self._limits.policy(limit))
        return decision.allowed

    async def _refuse(
        self, scope: Scope, send: Send, status: int, code: ProblemCode, detail: str
    ) -> None:
        titles = {413: "Payload too large", 415: "Unsupported media type", 429: "Rate limited"}
        body = raw_problem(
            status=status,
            code=code,
            title=titles[status],
            detail=detail,
            path=scope["path"],
            request_id=request_id_of(scope),
        )
        # The access layer adds X-Request-ID and the RateLimit-* headers on the way out.
        await send_raw_problem(send, status=status, body=body)
