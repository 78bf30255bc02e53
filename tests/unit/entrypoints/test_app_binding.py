"""An app's routes follow from its `Routing`; its state from the container it is bound to. The
unit tests reuse one app per routing (tests/unit/app_pool.py): rebinding must leave nothing of
the earlier container behind."""

from __future__ import annotations

from pathlib import Path

import httpx
from litestar import Litestar

from flowra_entrypoints.container import build_container
from flowra_entrypoints.http.access import AccessLogMiddleware
from flowra_entrypoints.http.app import Routing, create_app, routed_litestar
from flowra_entrypoints.settings import Settings, load_settings


def _settings(tmp_path: Path, yaml: str = "") -> Settings:
    config = tmp_path / "config.yaml"
    config.write_text("log:\n  level: error\n" + yaml)
    return load_settings(str(config), environ={}).settings


async def _workspaces_of_alice(app: AccessLogMiddleware, litestar: Litestar) -> list[str]:
    transport = httpx.ASGITransport(app=app)
    async with (
        litestar.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://t") as http,
    ):
        login = await http.post("/api/v1/auth/dev/token", json={"username": "alice"})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        created = await http.post("/api/v1/workspaces", json={"name": "Acme"}, headers=headers)
        assert created.status_code == 201, created.text
        listed = await http.get("/api/v1/workspaces", headers=headers)
        assert listed.status_code == 200, listed.text
        document = await http.get("/schema/openapi.json")
        assert document.status_code == 200
    return [workspace["id"] for workspace in listed.json()["items"]]


async def test_an_app_bound_again_serves_only_the_new_containers_data(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    litestar = routed_litestar(Routing.of(settings))

    first = await _workspaces_of_alice(create_app(build_container(settings), litestar), litestar)
    second = await _workspaces_of_alice(create_app(build_container(settings), litestar), litestar)

    assert len(first) == 1
    assert len(second) == 1
    assert first != second


def test_the_routing_tells_apart_the_settings_the_routes_depend_on(tmp_path: Path) -> None:
    plain = Routing.of(_settings(tmp_path))
    assert Routing.of(_settings(tmp_path, "auth:\n  access_token_ttl: 60s\n")) == plain
    for yaml in (
        "metrics:\n  enabled: false\n",
        "uploads:\n  max_size: 1024\n",
        "server:\n  trusted_proxies: ['10.0.0.0/8']\n",
        "cors:\n  allowed_origins: ['https://flowra.example']\n",
    ):
        assert Routing.of(_settings(tmp_path, yaml)) != plain, yaml
