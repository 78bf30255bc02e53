"""The core's error vocabulary: every rule violation carries a machine code and a message.

Adapters translate driver exceptions into these types at their boundary, so nothing above
the adapters ever sees a pymongo or redis exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    """The codes of http-api.md "Error codes" that the core raises; the HTTP layer maps each
    to a status. The codes only a transport can raise (a malformed body, CSRF, rate limits…)
    are the entrypoints' `TransportCode`."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"  # noqa: S105 - an error code, not a secret
    LOGIN_FAILED = "LOGIN_FAILED"
    INVALID_REFRESH_TOKEN = "INVALID_REFRESH_TOKEN"  # noqa: S105 - an error code
    FORBIDDEN = "FORBIDDEN"
    NOT_PARTICIPANT = "NOT_PARTICIPANT"
    USER_INACTIVE = "USER_INACTIVE"
    INSUFFICIENT_SCOPE = "INSUFFICIENT_SCOPE"
    NOT_FOUND = "NOT_FOUND"
    WORKSPACE_NOT_FOUND = "WORKSPACE_NOT_FOUND"
    CHAT_NOT_FOUND = "CHAT_NOT_FOUND"
    MESSAGE_NOT_FOUND = "MESSAGE_NOT_FOUND"
    USER_NOT_FOUND = "USER_NOT_FOUND"
    MEMBER_NOT_FOUND = "MEMBER_NOT_FOUND"
    PARTICIPANT_NOT_FOUND = "PARTICIPANT_NOT_FOUND"
    INVITE_NOT_FOUND = "INVITE_NOT_FOUND"
    TOKEN_NOT_FOUND = "TOKEN_NOT_FOUND"  # noqa: S105 - an error code
    WEBHOOK_NOT_FOUND = "WEBHOOK_NOT_FOUND"
    NOTIFICATION_NOT_FOUND = "NOTIFICATION_NOT_FOUND"
    FILE_NOT_FOUND = "FILE_NOT_FOUND"
    ATTACHMENT_NOT_FOUND = "ATTACHMENT_NOT_FOUND"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    ALREADY_PARTICIPANT = "ALREADY_PARTICIPANT"
    NOT_A_WORK_ITEM = "NOT_A_WORK_ITEM"
    ALREADY_THIS_TYPE = "ALREADY_THIS_TYPE"
    CHAT_ALREADY_CLOSED = "CHAT_ALREADY_CLOSED"
    CHAT_NOT_CLOSED = "CHAT_NOT_CLOSED"
    LAST_CHAT_ADMIN = "LAST_CHAT_ADMIN"
    OWNER_CANNOT_LEAVE = "OWNER_CANNOT_LEAVE"
    CANNOT_REMOVE_OWNER = "CANNOT_REMOVE_OWNER"
    CANNOT_CHANGE_OWNER_ROLE = "CANNOT_CHANGE_OWNER_ROLE"
    CONCURRENT_MODIFICATION = "CONCURRENT_MODIFICATION"
    MESSAGE_DELETED = "MESSAGE_DELETED"
    INVITE_EXPIRED = "INVITE_EXPIRED"
    INVITE_REVOKED = "INVITE_REVOKED"
    INVITE_EXHAUSTED = "INVITE_EXHAUSTED"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    UNSUPPORTED_FILE_TYPE = "UNSUPPORTED_FILE_TYPE"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid input: `field` is a body path (`participant_ids[2]`) or parameter name."""

    field: str
    message: str


class FlowraError(Exception):
    """Base of every error the core raises on purpose."""

    code: ErrorCode = ErrorCode.INTERNAL_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DomainError(FlowraError):
    """A rule of the domain said no; `code` tells which rule."""

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


class ValidationFailed(FlowraError):
    """Input that breaks field rules; lists every bad field at once."""

    code = ErrorCode.VALIDATION_ERROR

    def __init__(self, errors: list[FieldError]) -> None:
        joined = "; ".join(f"{error.field}: {error.message}" for error in errors)
        super().__init__(f"Invalid input: {joined}")
        self.errors = errors

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls([FieldError(field, message)])


class ConcurrencyConflict(FlowraError):
    """Another writer appended to the stream first; the command reloads and retries."""

    code = ErrorCode.CONCURRENT_MODIFICATION

    def __init__(self, aggregate_id: str, expected_version: int) -> None:
        super().__init__(
            f"Stream {aggregate_id} moved past version {expected_version} during the command"
        )
        self.aggregate_id = aggregate_id
        self.expected_version = expected_version


class ServiceUnavailable(FlowraError):
    """A dependency (database, Redis, identity provider) did not answer in time."""

    code = ErrorCode.SERVICE_UNAVAILABLE

    def __init__(self, dependency: str, reason: str) -> None:
        super().__init__(f"{dependency} is unavailable: {reason}")
        self.dependency = dependency
        self.reason = reason
