"""dependency-injector hands out an awaitable for a provider that depends on an async Resource
(the MongoDB client) and a plain object otherwise. `provided` is the one place that knows:
the processes resolve what they use once at start-up (`container.resolve_components`), and the
health checks, which can run before that, resolve lazily through it."""

from __future__ import annotations

import inspect
from typing import Any


async def provided(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
