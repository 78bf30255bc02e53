"""OpenAPI `responses` for the problem+json errors a route can return, grouped by status."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from flowra_core.domain.errors import ErrorCode
from flowra_entrypoints.http.problems import STATUS_OF, Problem

# Every authenticated route can answer these.
AUTH_ERRORS = (
    ErrorCode.UNAUTHENTICATED,
    ErrorCode.TOKEN_EXPIRED,
    ErrorCode.USER_INACTIVE,
    ErrorCode.INSUFFICIENT_SCOPE,
    ErrorCode.RATE_LIMITED,
    ErrorCode.SERVICE_UNAVAILABLE,
)


def problem_responses(*codes: ErrorCode) -> dict[int, ResponseSpec]:
    """`{status: ResponseSpec}` naming the codes behind each status (plus AUTH_ERRORS)."""
    by_status: dict[int, list[str]] = {}
    for code in (*AUTH_ERRORS, *codes):
        listed = by_status.setdefault(STATUS_OF[code], [])
        if code.value not in listed:
            listed.append(code.value)
    return {
        status: ResponseSpec(
            data_container=Problem,
            description="problem+json with `code` one of: " + ", ".join(listed),
            media_type="application/problem+json",
        )
        for status, listed in sorted(by_status.items())
    }
