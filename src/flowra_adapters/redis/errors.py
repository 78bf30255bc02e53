"""Redis errors stop here: every driver failure becomes ServiceUnavailable("redis", reason).

Each adapter wraps its Redis round trips in `guarded(operation, hook)`, which also reports the
outcome to the hook behind `flowra_redis_operations_total{operation,outcome}`. Operation names
say what the adapter did (`bus.publish`, `ephemeral.take`, `presence.hold`); one round trip
(a command, a MULTI pipeline or a script) is one operation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from redis.exceptions import RedisError

from flowra_core.domain.errors import ServiceUnavailable

REDIS = "redis"

Outcome = Literal["ok", "error"]
OperationHook = Callable[[str, Outcome], None]
"""`(operation, outcome)`: called once per Redis round trip."""


def ignore_operation(operation: str, outcome: Outcome) -> None:
    """The default hook: nothing is counted."""


def unavailable(error: RedisError | OSError) -> ServiceUnavailable:
    """The core error for a driver or socket error (refused, reset, timed out, refused by the
    server)."""
    return ServiceUnavailable(REDIS, str(error) or type(error).__name__)


@contextmanager
def guarded(operation: str, hook: OperationHook = ignore_operation) -> Iterator[None]:
    """Run a block of Redis calls: report its outcome to `hook` and translate driver errors.

    Cancellation is neither counted nor translated: a stopped loop is not a failed command.
    """
    try:
        yield
    except asyncio.CancelledError:
        raise
    except (RedisError, OSError) as error:
        hook(operation, "error")
        raise unavailable(error) from error
    except BaseException:
        hook(operation, "error")
        raise
    hook(operation, "ok")
