"""The webhook sender resolves a host once per call and connects to the address it checked:
a resolver stub that answers a public address, then a loopback one (DNS rebinding), never
gets the call sent to the loopback address."""

from __future__ import annotations

import httpx
import pytest

from flowra_adapters.webhooks.sender import HttpWebhookSender

PUBLIC = "93.184.216.34"


class RebindingResolver:
    """Answers each look-up with the next scripted address list."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append((host, port))
        return self.answers.pop(0)


def _sender(resolver: RebindingResolver, seen: list[httpx.Request]) -> HttpWebhookSender:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return HttpWebhookSender(
        client, allow_http=False, allow_private_targets=False, resolver=resolver
    )


async def test_the_call_goes_to_the_checked_address_with_the_hostname_kept() -> None:
    resolver = RebindingResolver([PUBLIC], ["127.0.0.1"])
    seen: list[httpx.Request] = []
    result = await _sender(resolver, seen).send(
        "https://hooks.example.com:8443/in?x=1", b"{}", {"Flowra-Event-Id": "e1"}
    )
    assert result.status_code == 204
    assert resolver.lookups == [("hooks.example.com", 8443)]  # one resolution, not two
    (request,) = seen
    assert request.url.host == PUBLIC
    assert request.url.port == 8443
    assert request.url.raw_path == b"/in?x=1"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"


async def test_a_host_rebound_to_loopback_is_refused_before_any_connection() -> None:
    resolver = RebindingResolver([PUBLIC], ["127.0.0.1"])
    seen: list[httpx.Request] = []
    sender = _sender(resolver, seen)
    assert await sender.check_target("https://hooks.example.com/in") is None
    result = await sender.send("https://hooks.example.com/in", b"{}", {})
    assert result.status_code is None
    assert result.error is not None
    assert "127.0.0.1" in result.error
    assert seen == []


@pytest.mark.parametrize("addresses", [[PUBLIC, "10.0.0.7"], ["169.254.169.254"], []])
async def test_any_internal_or_missing_address_refuses_the_target(addresses: list[str]) -> None:
    seen: list[httpx.Request] = []
    sender = _sender(RebindingResolver(addresses), seen)
    result = await sender.send("https://hooks.example.com/in", b"{}", {})
    assert result.status_code is None
    assert seen == []
