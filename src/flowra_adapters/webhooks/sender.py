"""Webhook HTTP calls with an SSRF guard: only http(s); http only when allowed (never in
production); a host that resolves to a loopback, link-local, private, reserved or multicast
address is refused unless allowed (`webhooks.allow_private_targets`, or listed in
`webhooks.allowed_hosts` for on-premise receivers); redirects are never followed; the response
body is read up to a cap; every call has a timeout.

DNS is resolved once per call: the addresses checked are the addresses connected to (no
DNS-rebinding window between the check and the connection). The request goes to the vetted IP
with the hostname kept in the `Host` header and, for https, in TLS SNI and certificate
verification (httpcore's `sni_hostname` request extension)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from flowra_core.ports.webhooks import SendResult

RESPONSE_CAP = 4096  # bytes of the receiver's answer kept in the delivery log

# (host, port) -> the addresses it resolves to; raises OSError when it does not resolve.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True, slots=True)
class _Vetted:
    """A URL whose host resolved to `address`, checked: the call connects to that address."""

    url: httpx.URL
    host: str
    address: str


def _is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


class HttpWebhookSender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allow_http: bool,
        allow_private_targets: bool,
        allowed_hosts: Collection[str] = (),
        resolver: Resolver = system_resolver,
    ) -> None:
        self._client = client
        self._resolve = resolver
        self._allow_http = allow_http
        self._allow_private = allow_private_targets
        self._allowed_hosts = {host.lower() for host in allowed_hosts}

    async def check_target(self, url: str) -> str | None:
        refusal = await self._vet(url, connecting=False)
        return refusal if isinstance(refusal, str) else None

    async def _vet(self, url: str, *, connecting: bool) -> _Vetted | str | None:
        """The resolved and checked target, or why it may not be called. A trusted host
        (allowed by name, or every private target allowed) is resolved only to connect."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            port = parts.port or (443 if parts.scheme == "https" else 80)
            parsed = httpx.URL(url)
        except (ValueError, httpx.InvalidURL):
            return "is not a valid URL"
        if parts.scheme not in ("https", "http") or not host:
            return "must be an https:// URL"
        if parts.scheme == "http" and not self._allow_http:
            return "must use https (http is allowed only outside production)"
        trusted = self._allow_private or host in self._allowed_hosts
        if trusted and not connecting:
            return None
        try:
            addresses = await self._resolve(host, port)
        except OSError:
            addresses = []
        if not addresses:
            return f"the host {host} does not resolve"
        for address in addresses:
            if not trusted and _is_internal(address) and address not in self._allowed_hosts:
                return (
                    f"resolves to {address}, an internal address (add the host to "
                    "webhooks.allowed_hosts for an on-premise receiver)"
                )
        return _Vetted(parsed, host, addresses[0])

    async def send(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        started = time.perf_counter()
        # Checked again (DNS may have changed since registration), resolved once, pinned.
        vetted = await self._vet(url, connecting=True)
        if not isinstance(vetted, _Vetted):
            return SendResult(None, 0, "", error=f"refused target: {vetted}")
        pinned = vetted.url.copy_with(host=vetted.address)
        # The Host header and SNI name the host the URL names, the connection goes to the IP.
        sent_headers = {**headers, "Host": vetted.url.netloc.decode("ascii")}
        try:
            async with self._client.stream(
                "POST",
                pinned,
                content=body,
                headers=sent_headers,
                follow_redirects=False,
                extensions={"sni_hostname": vetted.host},
            ) as response:
                kept = bytearray()
                async for chunk in response.aiter_bytes():
                    kept.extend(chunk[: RESPONSE_CAP - len(kept)])
                    if len(kept) >= RESPONSE_CAP:
                        break
                latency = int((time.perf_counter() - started) * 1000)
                text = kept.decode("utf-8", errors="replace")
                return SendResult(response.status_code, latency, text)
        except httpx.TimeoutException:
            error = "timed out"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:300]
        return SendResult(None, int((time.perf_counter() - started) * 1000), "", error=error)
