"""Apps for the unit tests, built once per routing and reused.

Building an app is mostly Litestar parsing the routes, and the routes follow from the settings'
`Routing` alone (http/app.py): two apps of one routing differ only in their state, which
`create_app(container, litestar)` fills from the container. A lease binds each test's containers
to apps that no running test uses, and leaves them idle for the next test when it ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ClassVar

from litestar import Litestar

from flowra_entrypoints.container import Container
from flowra_entrypoints.http.access import AccessLogMiddleware
from flowra_entrypoints.http.app import Routing, create_app, routed_litestar

AppBuilder = Callable[[Container], AccessLogMiddleware]


class AppPool:
    SHARED: ClassVar[AppPool]

    def __init__(self) -> None:
        self._idle: dict[Routing, list[Litestar]] = {}

    def _take(self, routing: Routing) -> Litestar:
        idle = self._idle.setdefault(routing, [])
        return idle.pop() if idle else routed_litestar(routing)

    @contextmanager
    def lease(self) -> Iterator[AppBuilder]:
        """`create_app` for the duration of the block, on routes of idle apps."""
        taken: list[tuple[Routing, Litestar]] = []

        def build(container: Container) -> AccessLogMiddleware:
            routing = Routing.of(container.settings())
            litestar = self._take(routing)
            taken.append((routing, litestar))
            return create_app(container, litestar)

        try:
            yield build
        finally:
            for routing, litestar in taken:
                self._idle[routing].append(litestar)


AppPool.SHARED = AppPool()
