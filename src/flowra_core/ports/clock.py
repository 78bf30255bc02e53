"""Time and identity sources, injected so tests control them."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time: timezone-aware UTC, truncated to milliseconds."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> str:
        """A new lowercase canonical UUID v4."""
        ...


class SecretTokens(Protocol):
    def new_token(self) -> str:
        """43 URL-safe characters from 32 random bytes (invite tokens, tickets)."""
        ...
