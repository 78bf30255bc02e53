"""DNS pinning against a real HTTP server on 127.0.0.1: the URL names a host that no real DNS
knows; the sender's resolver maps it to the server once, and the call reaches that address
with the hostname in the `Host` header (the HTTP client resolves nothing itself)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from urllib.parse import urlsplit

import httpx
import pytest

from flowra_adapters.webhooks.sender import HttpWebhookSender

from .test_webhooks_delivery import Receiver, serve_receiver

pytestmark = pytest.mark.integration

HOST = "receiver.flowra.invalid"  # .invalid never resolves (RFC 2606)


async def test_the_sender_connects_to_the_pinned_address_of_an_unresolvable_name() -> None:
    lookups: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"] if host == HOST else []

    async with AsyncExitStack() as stack:
        receiver = Receiver(script=[202])
        await serve_receiver(stack, receiver)
        port = urlsplit(receiver.url).port
        client = await stack.enter_async_context(httpx.AsyncClient(timeout=5.0))
        sender = HttpWebhookSender(
            client,
            allow_http=True,
            allow_private_targets=False,
            allowed_hosts=[HOST],  # an on-premise receiver, allowed by name
            resolver=resolver,
        )
        result = await sender.send(f"http://{HOST}:{port}/hook", b'{"a":1}', {"X-Test": "1"})
        assert result.status_code == 202, result.error
        assert lookups == [HOST]
        ((headers, body),) = receiver.requests
        assert headers["host"] == f"{HOST}:{port}"
        assert body == b'{"a":1}'

        # Not allowed by name, the same loopback answer is refused and nothing is sent.
        guarded = HttpWebhookSender(
            client, allow_http=True, allow_private_targets=False, resolver=resolver
        )
        refused = await guarded.send(f"http://{HOST}:{port}/hook", b"{}", {})
        assert refused.status_code is None
        assert len(receiver.requests) == 1
