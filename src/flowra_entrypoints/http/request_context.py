"""Per-request values kept in the ASGI scope's state: request id and authenticated user."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, MutableMapping
from typing import Any

from flowra_core.ports.rate_limit import RateDecision

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
REQUEST_ID_HEADER = "x-request-id"


def choose_request_id(header_value: str | None) -> str:
    """Echo a well-formed client id, otherwise make a new one (http-api.md §1)."""
    if header_value is not None and _VALID_REQUEST_ID.fullmatch(header_value):
        return header_value
    return str(uuid.uuid4())


def _state(scope: MutableMapping[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


def set_request_id(scope: MutableMapping[str, Any], request_id: str) -> None:
    _state(scope)["request_id"] = request_id


def _read(scope: Mapping[str, object], key: str) -> str | None:
    state = scope.get("state")
    value = state.get(key) if isinstance(state, dict) else None
    return value if isinstance(value, str) else None


def request_id_of(scope: Mapping[str, object]) -> str:
    return _read(scope, "request_id") or "unknown"


def set_user_id(scope: Any, user_id: str) -> None:
    """`scope` is any ASGI scope (Litestar types it as a TypedDict)."""
    _state(scope)["user_id"] = user_id


def user_id_of(scope: Mapping[str, object]) -> str | None:
    return _read(scope, "user_id")


def set_rate_decision(scope: Any, decision: RateDecision, policy: str) -> None:
    _state(scope)["rate_limit"] = (decision, policy)


def rate_limit_headers(scope: Mapping[str, object]) -> list[tuple[bytes, bytes]]:
    """The RateLimit-* headers of the request's counted bucket (none when not limited)."""
    state = scope.get("state")
    entry = state.get("rate_limit") if isinstance(state, dict) else None
    if entry is None:
        return []
    decision, policy = entry
    headers = [
        (b"ratelimit-limit", str(decision.limit).encode()),
        (b"ratelimit-remaining", str(decision.remaining).encode()),
        (b"ratelimit-reset", str(decision.reset_seconds).encode()),
        (b"ratelimit-policy", policy.encode()),
    ]
    if not decision.allowed:
        headers.append((b"retry-after", str(decision.reset_seconds).encode()))
    return headers
