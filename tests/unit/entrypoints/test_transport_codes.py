"""The core's error vocabulary holds only what the core raises; the transport's own refusals
(CSRF, rate limits, malformed or oversized bodies…) are the entrypoints' `TransportCode`, and
one status table covers both."""

from __future__ import annotations

from flowra_core.domain.errors import ErrorCode
from flowra_entrypoints.http.problems import ALL_CODES, STATUS_OF
from flowra_entrypoints.transport_errors import TransportCode


def test_no_code_is_both_the_cores_and_the_transports() -> None:
    assert {c.value for c in ErrorCode}.isdisjoint({c.value for c in TransportCode})


def test_every_code_has_one_status_and_is_in_the_documented_enum() -> None:
    codes = [*ErrorCode, *TransportCode]
    assert sorted(c.value for c in codes if c not in STATUS_OF) == []
    assert {c.value for c in codes} == ALL_CODES


def test_the_transport_codes_keep_their_statuses() -> None:
    assert {c.value: STATUS_OF[c] for c in TransportCode} == {
        "MALFORMED_REQUEST": 400,
        "INVALID_OAUTH_STATE": 400,
        "CSRF_REJECTED": 403,
        "METHOD_NOT_ALLOWED": 405,
        "PAYLOAD_TOO_LARGE": 413,
        "UNSUPPORTED_MEDIA_TYPE": 415,
        "RATE_LIMITED": 429,
    }
