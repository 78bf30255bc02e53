"""RateLimiter contract (in-memory vs Redis): fixed windows on the clock, `limit` requests
allowed per window and key, the decision's remaining budget and seconds to the window's end."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from flowra_core.ports.rate_limit import RateDecision, RateLimiter
from flowra_core.testing.clock import FixedClock

pytestmark = pytest.mark.integration

Backend = tuple[RateLimiter, FixedClock]


def bucket() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


async def test_requests_within_the_limit_are_allowed_with_a_shrinking_budget(
    rate_limiter: Backend,
) -> None:
    limiter, _clock = rate_limiter  # the fixed clock stands on a minute boundary
    name = bucket()

    decisions = [await limiter.hit(name, "u1", limit=3, window_seconds=60) for _ in range(3)]

    assert decisions == [
        RateDecision(allowed=True, limit=3, remaining=2, reset_seconds=60),
        RateDecision(allowed=True, limit=3, remaining=1, reset_seconds=60),
        RateDecision(allowed=True, limit=3, remaining=0, reset_seconds=60),
    ]


async def test_requests_over_the_limit_are_refused_until_the_window_ends(
    rate_limiter: Backend,
) -> None:
    limiter, clock = rate_limiter
    name = bucket()
    for _ in range(2):
        await limiter.hit(name, "10.0.0.1", limit=2, window_seconds=60)
    clock.advance(timedelta(seconds=45, milliseconds=500))

    refused = await limiter.hit(name, "10.0.0.1", limit=2, window_seconds=60)
    clock.advance(timedelta(seconds=14, milliseconds=500))
    next_window = await limiter.hit(name, "10.0.0.1", limit=2, window_seconds=60)

    assert refused == RateDecision(allowed=False, limit=2, remaining=0, reset_seconds=15)
    assert next_window == RateDecision(allowed=True, limit=2, remaining=1, reset_seconds=60)


async def test_keys_and_buckets_count_separately(rate_limiter: Backend) -> None:
    limiter, _clock = rate_limiter
    auth, user = bucket(), bucket()
    await limiter.hit(auth, "u1", limit=1, window_seconds=60)

    other_key = await limiter.hit(auth, "u2", limit=1, window_seconds=60)
    other_bucket = await limiter.hit(user, "u1", limit=1, window_seconds=60)
    same_again = await limiter.hit(auth, "u1", limit=1, window_seconds=60)

    assert other_key.allowed
    assert other_bucket.allowed
    assert not same_again.allowed


async def test_reset_is_at_least_one_second_at_the_end_of_a_window(
    rate_limiter: Backend,
) -> None:
    limiter, clock = rate_limiter
    clock.advance(timedelta(seconds=59, milliseconds=800))

    decision = await limiter.hit(bucket(), "u1", limit=5, window_seconds=60)

    assert decision.reset_seconds == 1


async def test_windows_follow_the_window_length(rate_limiter: Backend) -> None:
    limiter, clock = rate_limiter
    name = bucket()
    await limiter.hit(name, "u1", limit=1, window_seconds=10)
    clock.advance(timedelta(seconds=10))

    decision = await limiter.hit(name, "u1", limit=1, window_seconds=10)

    assert decision == RateDecision(allowed=True, limit=1, remaining=0, reset_seconds=10)
