"""Session-wide settings that keep the unit suite fast (issue 14: under 60 s on two cores).

- Each app built allocates hundreds of thousands of short-lived objects, and with everything
  imported still in the collected generations every full collection walks the whole
  interpreter: freezing what exists after collection (modules, classes, the collected tests)
  and collecting less often cut the time spent in the garbage collector by about two thirds.
- Building an app is mostly Litestar parsing the routes (0.2-0.5 s), which the settings'
  `Routing` alone decide (http/app.py): `build_app` binds each test's container to an app of
  that routing left idle by an earlier test, so a worker builds one app per routing.
- Hypothesis has no per-example deadline: under two xdist workers (and CI's neighbours) a
  first example can take 300 ms for reasons of scheduling, which made timing-only failures.
- Every container opens an httpx client whose default TLS context parses the certifi bundle
  (20-80 ms each); the unit tests never leave the process, so one context serves them all.
"""

from __future__ import annotations

import gc
import ssl
from collections.abc import Iterator

import certifi
import httpx
import pytest
from dependency_injector import providers
from hypothesis import settings as hypothesis_settings
from tests.unit.app_pool import AppBuilder, AppPool

from flowra_entrypoints.container import HTTP_CLIENT_TIMEOUT, Container

_TLS = ssl.create_default_context(cafile=certifi.where())

hypothesis_settings.register_profile("flowra", deadline=None)
hypothesis_settings.load_profile("flowra")


def _http_client() -> httpx.AsyncClient:
    """The container's outbound client (`container.py`), with the one shared TLS context."""
    return httpx.AsyncClient(timeout=HTTP_CLIENT_TIMEOUT, verify=_TLS)


Container.http_client.override(providers.Singleton(_http_client))


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


@pytest.fixture
def build_app() -> Iterator[AppBuilder]:
    """`create_app(container)` on the routes of an idle app of the same routing (app_pool.py)."""
    with AppPool.SHARED.lease() as build:
        yield build
