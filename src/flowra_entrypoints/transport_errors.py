"""Errors of the transport, not of the domain: a request that is malformed, too large, of the
wrong media type or method, from an untrusted origin, too frequent, or carrying a login state
that does not match. The core never raises these; the HTTP and WebSocket layers do, and
`http/problems.py` maps them to a status exactly like the core's `ErrorCode`s."""

from __future__ import annotations

from enum import StrEnum

from flowra_core.domain.errors import ErrorCode


class TransportCode(StrEnum):
    """The codes of http-api.md "Error codes" that only the transport can raise."""

    MALFORMED_REQUEST = "MALFORMED_REQUEST"
    INVALID_OAUTH_STATE = "INVALID_OAUTH_STATE"
    CSRF_REJECTED = "CSRF_REJECTED"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    RATE_LIMITED = "RATE_LIMITED"


# Every code a problem body may carry.
ProblemCode = ErrorCode | TransportCode


class TransportError(Exception):
    """The transport refused the request; `code` tells why."""

    def __init__(self, code: TransportCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
