"""Request budgets per bucket and key (http-api.md "Rate limiting")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int


class RateLimiter(Protocol):
    async def hit(
        self, bucket: str, key: str, *, limit: int, window_seconds: float
    ) -> RateDecision:
        """Count one request against `key` in the current fixed window of `bucket`."""
        ...
