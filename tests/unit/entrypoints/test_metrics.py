"""/metrics: the guide's names, with values that move as requests are served."""

from __future__ import annotations

from pathlib import Path

import httpx

from flowra_entrypoints.container import build_container
from flowra_entrypoints.http.app import create_app
from flowra_entrypoints.metrics import route_label
from flowra_entrypoints.settings import load_settings


def _app(tmp_path: Path, yaml: str = "log:\n  level: error\n") -> httpx.AsyncClient:
    config = tmp_path / "config.yaml"
    config.write_text(yaml)
    app = create_app(build_container(load_settings(str(config), environ={}).settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def _sample(text: str, prefix: str) -> float:
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    assert lines, f"no sample starting with {prefix!r}"
    return float(lines[0].rsplit(" ", 1)[1])


async def test_http_requests_are_counted_by_route_template(tmp_path: Path) -> None:
    async with _app(tmp_path) as client:
        await client.get("/api/v1/workspaces/abc")
        await client.get("/api/v1/workspaces/def")
        text = (await client.get("/metrics")).text
    counted = 'flowra_http_requests_total{method="GET",route="/api/v1/workspaces/{workspace_id}"'
    assert _sample(text, counted + ',status="401"}') == 2.0
    assert "flowra_http_request_duration_seconds_bucket" in text
    for name in (
        "flowra_websocket_connections",
        "flowra_mongodb_operations_total",
        "flowra_redis_operations_total",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text


async def test_metrics_can_be_switched_off(tmp_path: Path) -> None:
    async with _app(tmp_path, "metrics:\n  enabled: false\n") as client:
        response = await client.get("/metrics")
    assert response.status_code == 404


def test_route_labels_drop_parameter_types_and_collapse_unknown_paths() -> None:
    assert route_label("/a/{x:str}/b/{y:int}") == "/a/{x}/b/{y}"
    assert route_label(None) == "unmatched"
