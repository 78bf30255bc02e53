"""RFC 9457 problem details for every error the API returns (http-api.md "Error format")."""

from __future__ import annotations

import re
from typing import Annotated, Any

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

from flowra_core.domain.errors import (
    DomainError,
    ErrorCode,
    FieldError,
    FlowraError,
    ServiceUnavailable,
    ValidationFailed,
)
from flowra_entrypoints.http.request_context import request_id_of
from flowra_entrypoints.transport_errors import ProblemCode, TransportCode, TransportError

PROBLEM_MEDIA_TYPE = "application/problem+json"

# A short fixed phrase per code; `detail` carries the specific sentence.
_TITLES: dict[ProblemCode, str] = {
    TransportCode.MALFORMED_REQUEST: "Malformed request",
    ErrorCode.NOT_FOUND: "Not found",
    TransportCode.METHOD_NOT_ALLOWED: "Method not allowed",
    TransportCode.PAYLOAD_TOO_LARGE: "Payload too large",
    TransportCode.UNSUPPORTED_MEDIA_TYPE: "Unsupported media type",
    ErrorCode.VALIDATION_ERROR: "Invalid input",
    ErrorCode.INTERNAL_ERROR: "Internal error",
    ErrorCode.SERVICE_UNAVAILABLE: "Service unavailable",
}

# The one table from error code to HTTP status (http-api.md "Error codes").
STATUS_OF: dict[ProblemCode, int] = {
    TransportCode.MALFORMED_REQUEST: 400,
    TransportCode.INVALID_OAUTH_STATE: 400,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.TOKEN_EXPIRED: 401,
    ErrorCode.LOGIN_FAILED: 401,
    ErrorCode.INVALID_REFRESH_TOKEN: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_PARTICIPANT: 403,
    ErrorCode.USER_INACTIVE: 403,
    TransportCode.CSRF_REJECTED: 403,
    ErrorCode.INSUFFICIENT_SCOPE: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.WORKSPACE_NOT_FOUND: 404,
    ErrorCode.CHAT_NOT_FOUND: 404,
    ErrorCode.MESSAGE_NOT_FOUND: 404,
    ErrorCode.USER_NOT_FOUND: 404,
    ErrorCode.MEMBER_NOT_FOUND: 404,
    ErrorCode.PARTICIPANT_NOT_FOUND: 404,
    ErrorCode.INVITE_NOT_FOUND: 404,
    ErrorCode.TOKEN_NOT_FOUND: 404,
    ErrorCode.WEBHOOK_NOT_FOUND: 404,
    ErrorCode.NOTIFICATION_NOT_FOUND: 404,
    ErrorCode.FILE_NOT_FOUND: 404,
    ErrorCode.ATTACHMENT_NOT_FOUND: 404,
    TransportCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.ALREADY_MEMBER: 409,
    ErrorCode.ALREADY_PARTICIPANT: 409,
    ErrorCode.NOT_A_WORK_ITEM: 409,
    ErrorCode.ALREADY_THIS_TYPE: 409,
    ErrorCode.CHAT_ALREADY_CLOSED: 409,
    ErrorCode.CHAT_NOT_CLOSED: 409,
    ErrorCode.LAST_CHAT_ADMIN: 409,
    ErrorCode.OWNER_CANNOT_LEAVE: 409,
    ErrorCode.CANNOT_REMOVE_OWNER: 409,
    ErrorCode.CANNOT_CHANGE_OWNER_ROLE: 409,
    ErrorCode.CONCURRENT_MODIFICATION: 409,
    ErrorCode.MESSAGE_DELETED: 410,
    ErrorCode.INVITE_EXPIRED: 410,
    ErrorCode.INVITE_REVOKED: 410,
    ErrorCode.INVITE_EXHAUSTED: 410,
    TransportCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.FILE_TOO_LARGE: 413,
    TransportCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.UNSUPPORTED_FILE_TYPE: 415,
    ErrorCode.VALIDATION_ERROR: 422,
    TransportCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
}

_STATUS_CODES: dict[int, ProblemCode] = {
    HTTP_400_BAD_REQUEST: TransportCode.MALFORMED_REQUEST,
    HTTP_404_NOT_FOUND: ErrorCode.NOT_FOUND,
    HTTP_405_METHOD_NOT_ALLOWED: TransportCode.METHOD_NOT_ALLOWED,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE: TransportCode.PAYLOAD_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE: TransportCode.UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY: ErrorCode.VALIDATION_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE: ErrorCode.SERVICE_UNAVAILABLE,
}


ALL_CODES: frozenset[str] = frozenset(c.value for c in (*ErrorCode, *TransportCode))


class ProblemFieldError(msgspec.Struct, frozen=True):
    """One invalid input: a body path (`participant_ids[2]`) or a parameter name."""

    field: str
    message: str


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An error (RFC 9457, `application/problem+json`). Clients rely on `code`, never on the
    text; `errors` lists the fields at fault of a 422."""

    type: str
    title: str
    status: int
    detail: str
    code: Annotated[str, msgspec.Meta(extra_json_schema={"enum": sorted(ALL_CODES)})]
    instance: str
    request_id: str
    errors: list[ProblemFieldError] | None = None


def title_for(code: ProblemCode) -> str:
    return _TITLES.get(code, code.value.replace("_", " ").capitalize())


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: ProblemCode,
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


_UNKNOWN_FIELD = re.compile(r"Object contains unknown field `([^`]*)`")
_MISSING_FIELD = re.compile(r"Object missing required field `([^`]*)`")
_AT_PATH = re.compile(r" - at `\$(?:\.)?([^`]*)`$")
# Litestar reports a body that is not a JSON object (or is missing) under the key "data".
_BODY_KEY = "data"


def _validation_errors(exc: ValidationException) -> list[FieldError] | None:
    """Litestar's validation detail → [{field, message}] naming the body path or parameter;
    None when the body itself is unusable (not an object, missing): a 400, not a 422."""
    errors: list[FieldError] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "is invalid"))
        field = str(item.get("key") or "")
        if unknown := _UNKNOWN_FIELD.search(message):
            errors.append(FieldError(unknown.group(1), "is not a known field"))
            continue
        if missing := _MISSING_FIELD.search(message):
            parent = at.group(1) if (at := _AT_PATH.search(message)) else ""
            name = f"{parent}.{missing.group(1)}" if parent else missing.group(1)
            errors.append(FieldError(name, "is required"))
            continue
        if at := _AT_PATH.search(message):
            field, message = at.group(1) or field, message[: at.start()]
        if field == _BODY_KEY and item.get("source") == "body":
            return None
        errors.append(FieldError(field or "body", message))
    return errors


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        errors = _validation_errors(exc)
        if errors is None or not errors:
            # Litestar raises a bare 400 ValidationException when the body cannot be decoded.
            return problem_response(
                request,
                status=HTTP_400_BAD_REQUEST,
                code=TransportCode.MALFORMED_REQUEST,
                detail="The request body must be a JSON object",
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


def handle_flowra_error(request: Request[Any, Any, Any], exc: FlowraError) -> Response[Any]:
    """Domain refusals and field validation, mapped through STATUS_OF."""
    errors = exc.errors if isinstance(exc, ValidationFailed) else None
    if isinstance(exc, DomainError) and exc.field is not None:
        errors = [FieldError(exc.field, exc.message)]
    headers = {"WWW-Authenticate": "Bearer"} if STATUS_OF[exc.code] == 401 else None
    return problem_response(
        request,
        status=STATUS_OF[exc.code],
        code=exc.code,
        detail=exc.message,
        errors=errors,
        headers=headers,
    )


def handle_transport_error(request: Request[Any, Any, Any], exc: TransportError) -> Response[Any]:
    """Refusals of the transport (CSRF, rate limits, a login state that does not match)."""
    return problem_response(request, status=STATUS_OF[exc.code], code=exc.code, detail=exc.message)


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
