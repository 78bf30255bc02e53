"""Limits applied before routing: media type, body size, rate limits and their headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tests.unit.app_pool import AppBuilder

from flowra_entrypoints.container import build_container
from flowra_entrypoints.http.limits import client_ip
from flowra_entrypoints.settings import load_settings


async def _client(tmp_path: Path, yaml: str, build_app: AppBuilder) -> httpx.AsyncClient:
    config = tmp_path / "config.yaml"
    config.write_text(yaml)
    settings = load_settings(str(config), environ={}).settings
    app = build_app(build_container(settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.fixture
async def client(tmp_path: Path, build_app: AppBuilder) -> AsyncIterator[httpx.AsyncClient]:
    async with await _client(tmp_path, "log:\n  level: error\n", build_app) as http:
        yield http


@pytest.fixture
async def limited(tmp_path: Path, build_app: AppBuilder) -> AsyncIterator[httpx.AsyncClient]:
    yaml = "log:\n  level: error\nrate_limit:\n  enabled: true\n  ip_limit: 2\n  auth_limit: 3\n"
    async with await _client(tmp_path, yaml, build_app) as http:
        yield http


async def test_a_json_route_refuses_other_media_types(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/workspaces", content=b"name=x", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_a_json_body_over_one_mebibyte_is_413_before_authentication(
    client: httpx.AsyncClient,
) -> None:
    body = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    response = await client.post(
        "/api/v1/workspaces", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert response.headers["x-request-id"]


async def test_garbage_json_is_malformed(client: httpx.AsyncClient) -> None:
    token = (await client.post("/api/v1/auth/dev/token", json={"username": "ann"})).json()
    response = await client.post(
        "/api/v1/workspaces",
        content=b"{not json",
        headers={
            "content-type": "application/json",
            "authorization": f"Bearer {token['access_token']}",
        },
    )
    assert response.status_code == 400
    assert response.json()["code"] == "MALFORMED_REQUEST"


async def test_anonymous_requests_are_limited_per_ip_with_headers(
    limited: httpx.AsyncClient,
) -> None:
    first = await limited.get("/api/v1/workspaces")
    assert first.status_code == 401
    assert first.headers["ratelimit-limit"] == "2"
    assert first.headers["ratelimit-remaining"] == "1"
    assert first.headers["ratelimit-policy"] == "2;w=60"
    await limited.get("/api/v1/workspaces")
    third = await limited.get("/api/v1/workspaces")
    assert third.status_code == 429
    assert third.json()["code"] == "RATE_LIMITED"
    assert int(third.headers["retry-after"]) >= 1


async def test_operational_endpoints_are_never_limited(limited: httpx.AsyncClient) -> None:
    statuses = [(await limited.get("/health")).status_code for _ in range(5)]
    assert statuses == [200] * 5


async def test_login_endpoints_have_their_own_budget(limited: httpx.AsyncClient) -> None:
    statuses = [
        (await limited.post("/api/v1/auth/dev/token", json={"username": f"u{i}"})).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("10.0.0.1", "1.2.3.4", [], "10.0.0.1"),
        ("10.0.0.1", "1.2.3.4", ["10.0.0.0/8"], "1.2.3.4"),
        ("10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.2", ["10.0.0.0/8"], "1.2.3.4"),
        ("9.9.9.9", "1.2.3.4", ["10.0.0.0/8"], "9.9.9.9"),
    ],
)
def test_forwarded_for_is_believed_only_from_trusted_proxies(
    peer: str, forwarded: str, trusted: list[str], expected: str
) -> None:
    import ipaddress

    scope = {"client": (peer, 1234), "headers": [(b"x-forwarded-for", forwarded.encode())]}
    networks = [ipaddress.ip_network(cidr) for cidr in trusted]
    assert client_ip(scope, networks) == expected
