"""The realm's signing keys: fetched from its JWKS, cached, refreshed on schedule and on demand.

- Keys are refreshed at most every `refresh_interval`, lazily, by the first lookup after it.
- A lookup for an unknown `kid` (a key Keycloak rotated in) refetches at once, but no fetch
  happens within `refetch_interval` (30 s) of the previous attempt: forged kids cannot turn
  into a flood of JWKS requests. Concurrent lookups share one fetch.
- A failed fetch keeps the cached keys; scheduled retries wait `refetch_interval` too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from jwt import PyJWK, PyJWTError

from flowra_adapters.keycloak.transport import http_get, json_object, unavailable
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.ports.clock import Clock

ALLOWED_ALGORITHMS = frozenset({"RS256", "ES256"})
REFETCH_INTERVAL = timedelta(seconds=30)

_log = logging.getLogger(__name__)


class JwksSource(Protocol):
    async def fetch(self) -> Mapping[str, Any]:
        """The JWK Set document; ServiceUnavailable when it cannot be obtained."""
        ...


class HttpJwksSource:
    """The JWK Set served at `url` (the realm's `.../protocol/openid-connect/certs`)."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self._http = http
        self._url = url

    async def fetch(self) -> Mapping[str, Any]:
        response = await http_get(self._http, self._url)
        if response.status_code != httpx.codes.OK:
            raise unavailable(f"JWKS at {self._url} answered {response.status_code}")
        return json_object(response)


def signing_keys(document: Mapping[str, Any]) -> dict[str, PyJWK]:
    """The signature keys of a JWK Set usable with an allowed algorithm, by `kid`.

    Encryption keys (Keycloak publishes an RSA-OAEP one), keys without a `kid` and keys of
    other algorithms are left out. ServiceUnavailable when the document is not a JWK Set."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise unavailable("the JWKS document has no `keys` array")
    keys: dict[str, PyJWK] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            continue
        try:
            key = PyJWK(entry)
        except PyJWTError:
            continue
        if key.algorithm_name in ALLOWED_ALGORITHMS:
            keys[kid] = key
    return keys


class JwksCache:
    def __init__(
        self,
        source: JwksSource,
        *,
        refresh_interval: float,
        clock: Clock,
        refetch_interval: timedelta = REFETCH_INTERVAL,
    ) -> None:
        self._source = source
        self._refresh_interval = timedelta(seconds=refresh_interval)
        self._refetch_interval = refetch_interval
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._last_attempt: datetime | None = None
        self._next_refresh: datetime | None = None
        self._failed = False
        self._lock = asyncio.Lock()

    @property
    def last_refresh_failed(self) -> bool:
        """Whether the latest JWKS fetch failed (identity_provider health: degraded)."""
        return self._failed

    async def key(self, kid: str) -> PyJWK | None:
        """The key `kid`, or None when the realm has no such key.

        ServiceUnavailable when the key is not cached and the JWKS could not be fetched, as
        the answer then depends on keys this process cannot see."""
        if self._refresh_due():
            await self._fetch_if(self._refresh_due)
        key = self._keys.get(kid)
        # A fetch in flight may bring the key: wait for it rather than refuse.
        if key is None and (self._lock.locked() or self._refetch_allowed()):
            await self._fetch_if(lambda: kid not in self._keys and self._refetch_allowed())
            key = self._keys.get(kid)
        if key is None and self._failed:
            raise unavailable("the realm's signing keys could not be fetched")
        return key

    async def refresh(self) -> None:
        """Fetch the keys now (warm-up at startup); ServiceUnavailable when that fails."""
        async with self._lock:
            await self._fetch()
        if self._failed:
            raise unavailable("the realm's signing keys could not be fetched")

    def _refresh_due(self) -> bool:
        return self._next_refresh is None or self._clock.now() >= self._next_refresh

    def _refetch_allowed(self) -> bool:
        last = self._last_attempt
        return last is None or self._clock.now() - last >= self._refetch_interval

    async def _fetch_if(self, still_needed: Callable[[], bool]) -> None:
        # Callers that queued behind a fetch find its result and do not fetch again.
        async with self._lock:
            if still_needed():
                await self._fetch()

    async def _fetch(self) -> None:
        started = self._clock.now()
        self._last_attempt = started
        try:
            keys = signing_keys(await self._source.fetch())
        except ServiceUnavailable as error:
            _log.warning("JWKS refresh failed, keeping %d cached keys: %s", len(self._keys), error)
            self._failed = True
            self._next_refresh = started + self._refetch_interval
            return
        self._keys = keys
        self._failed = False
        self._next_refresh = started + self._refresh_interval
