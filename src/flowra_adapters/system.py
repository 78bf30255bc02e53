"""The real clock, id and secret sources."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        """UTC now, cut to milliseconds: the precision timestamps are exchanged with."""
        moment = datetime.now(UTC)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class Uuid4Ids:
    def new_id(self) -> str:
        return str(uuid.uuid4())


class RandomTokens:
    def new_token(self) -> str:
        return secrets.token_urlsafe(32)
