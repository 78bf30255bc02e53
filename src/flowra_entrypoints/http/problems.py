"""RFC 9457 problem details for every error the API returns (http-api.md "Error format")."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_405_METHOD_NOT_ALLOWED,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from loguru import logger

from flowra_core.domain.errors import ErrorCode, FieldError, ServiceUnavailable
from flowra_entrypoints.http.request_context import request_id_of

PROBLEM_MEDIA_TYPE = "application/problem+json"

# A short fixed phrase per code; `detail` carries the specific sentence.
_TITLES: dict[ErrorCode, str] = {
    ErrorCode.MALFORMED_REQUEST: "Malformed request",
    ErrorCode.NOT_FOUND: "Not found",
    ErrorCode.METHOD_NOT_ALLOWED: "Method not allowed",
    ErrorCode.PAYLOAD_TOO_LARGE: "Payload too large",
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: "Unsupported media type",
    ErrorCode.VALIDATION_ERROR: "Invalid input",
    ErrorCode.INTERNAL_ERROR: "Internal error",
    ErrorCode.SERVICE_UNAVAILABLE: "Service unavailable",
}

_STATUS_CODES: dict[int, ErrorCode] = {
    HTTP_400_BAD_REQUEST: ErrorCode.MALFORMED_REQUEST,
    HTTP_404_NOT_FOUND: ErrorCode.NOT_FOUND,
    HTTP_405_METHOD_NOT_ALLOWED: ErrorCode.METHOD_NOT_ALLOWED,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE: ErrorCode.PAYLOAD_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY: ErrorCode.VALIDATION_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE: ErrorCode.SERVICE_UNAVAILABLE,
}


class ProblemFieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str
    request_id: str
    errors: list[ProblemFieldError] | None = None


def title_for(code: ErrorCode) -> str:
    return _TITLES.get(code, code.value.replace("_", " ").capitalize())


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: ErrorCode,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    problem = Problem(
        type=f"urn:flowra:problem:{code.value}",
        title=title_for(code),
        status=status,
        detail=detail,
        code=code.value,
        instance=request.url.path,
        request_id=request_id_of(request.scope),
        errors=[ProblemFieldError(e.field, e.message) for e in errors] if errors else None,
    )
    return Response(problem, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _validation_errors(exc: ValidationException) -> list[FieldError]:
    """Litestar's validation detail → [{field, message}] naming the body path or parameter."""
    errors: list[FieldError] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        key = item.get("key") or ""
        field = str(key).removeprefix("$.") if key else str(item.get("source") or "body")
        errors.append(FieldError(field or "body", str(item.get("message", "is invalid"))))
    return errors


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        errors = _validation_errors(exc)
        if not errors:
            # Litestar raises a bare 400 ValidationException when the body cannot be decoded.
            return problem_response(
                request,
                status=HTTP_400_BAD_REQUEST,
                code=ErrorCode.MALFORMED_REQUEST,
                detail=exc.detail or "The request body could not be parsed",
            )
        return problem_response(
            request,
            status=HTTP_422_UNPROCESSABLE_ENTITY,
            code=ErrorCode.VALIDATION_ERROR,
            detail="; ".join(f"{e.field}: {e.message}" for e in errors),
            errors=errors,
        )
    if isinstance(exc, NotFoundException):
        detail = f"No route {request.method} {request.url.path}"
    elif isinstance(exc, MethodNotAllowedException):
        detail = f"{request.method} is not allowed on {request.url.path}"
    else:
        detail = exc.detail
    code = _STATUS_CODES.get(status, ErrorCode.INTERNAL_ERROR)
    return problem_response(request, status=status, code=code, detail=detail, headers=exc.headers)


def handle_service_unavailable(
    request: Request[Any, Any, Any], exc: ServiceUnavailable
) -> Response[Any]:
    logger.bind(logger="http", request_id=request_id_of(request.scope)).warning(
        "dependency unavailable", dependency=exc.dependency, error=exc.reason
    )
    return problem_response(
        request,
        status=HTTP_503_SERVICE_UNAVAILABLE,
        code=ErrorCode.SERVICE_UNAVAILABLE,
        detail=f"{exc.dependency} is unavailable; please retry shortly",
        headers={"Retry-After": "5"},
    )


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    request_id = request_id_of(request.scope)
    logger.bind(logger="http", request_id=request_id).opt(exception=exc).error(
        "unhandled exception"
    )
    return problem_response(
        request,
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        code=ErrorCode.INTERNAL_ERROR,
        detail=f"Unexpected error (request {request_id})",
    )
