"""Webhook HTTP calls with an SSRF guard: only http(s); http only when allowed (never in
production); a host that resolves to a loopback, link-local, private, reserved or multicast
address is refused unless allowed (`webhooks.allow_private_targets`, or listed in
`webhooks.allowed_hosts` for on-premise receivers); redirects are never followed; the response
body is read up to a cap; every call has a timeout."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Collection
from urllib.parse import urlsplit

import httpx

from flowra_core.ports.webhooks import SendResult

RESPONSE_CAP = 4096  # bytes of the receiver's answer kept in the delivery log


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
    ) -> None:
        self._client = client
        self._allow_http = allow_http
        self._allow_private = allow_private_targets
        self._allowed_hosts = {host.lower() for host in allowed_hosts}

    async def check_target(self, url: str) -> str | None:
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return "is not a valid URL"
        if parts.scheme not in ("https", "http") or not host:
            return "must be an https:// URL"
        if parts.scheme == "http" and not self._allow_http:
            return "must use https (http is allowed only outside production)"
        if self._allow_private or host in self._allowed_hosts:
            return None
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError:
            return f"the host {host} does not resolve"
        for info in infos:
            address = str(info[4][0])
            if _is_internal(address) and address not in self._allowed_hosts:
                return (
                    f"resolves to {address}, an internal address (add the host to "
                    "webhooks.allowed_hosts for an on-premise receiver)"
                )
        return None

    async def send(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        started = time.perf_counter()
        refusal = await self.check_target(url)  # again: DNS may have changed since registration
        if refusal is not None:
            return SendResult(None, 0, "", error=f"refused target: {refusal}")
        try:
            async with self._client.stream(
                "POST", url, content=body, headers=headers, follow_redirects=False
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
