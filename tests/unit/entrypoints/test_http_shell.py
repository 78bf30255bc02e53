"""The API shell on the embedded profile: probes, problem details, request ids, OpenAPI."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient
from tests.unit.app_pool import AppBuilder

from flowra_entrypoints.container import build_container
from flowra_entrypoints.http.access import AccessLogMiddleware, Message, Receive, Scope, Send
from flowra_entrypoints.http.problems import handle_unexpected
from flowra_entrypoints.settings import Settings, load_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    config = tmp_path / "config.yaml"
    config.write_text("log:\n  format: text\n")
    return load_settings(str(config), environ={}).settings


@pytest.fixture
async def client(settings: Settings, build_app: AppBuilder) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(build_container(settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://flowra.test") as http:
        yield http


async def test_liveness_says_healthy(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy"}


async def test_readiness_reports_the_embedded_components(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["components"]["mongodb"] == {"status": "healthy", "backend": "memory"}
    assert body["components"]["redis"] == {"status": "healthy", "backend": "disabled"}
    assert body["components"]["eventbus"] == {"status": "healthy", "backend": "inmemory"}


async def test_details_name_the_memory_storage(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/details")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["env"] == "development"
    assert body["components"]["storage"]["backend"] == "memory"
    assert body["components"]["identity_provider"]["backend"] == "local"
    assert isinstance(body["uptime_seconds"], int)


async def test_details_report_the_background_delivery(client: httpx.AsyncClient) -> None:
    components = (await client.get("/health/details")).json()["components"]

    idle = {"status": "healthy", "backend": "memory", "count": 0, "oldest_age_seconds": 0.0}
    assert components["event_relay"] == idle | {"stuck": 0}
    assert components["projections"] == idle
    assert components["dispatch"] == idle | {"dead_letters": 0}
    assert components["repair_queue"] == {
        "status": "healthy",
        "backend": "memory",
        "items": {"pending": 0, "failed": 0},
    }
    assert components["websocket"] == {"status": "healthy", "connections": 0}


async def test_unknown_route_is_a_problem_with_a_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "NOT_FOUND"
    assert problem["type"] == "urn:flowra:problem:NOT_FOUND"
    assert problem["instance"] == "/api/v1/nowhere"
    assert problem["request_id"] == response.headers["x-request-id"]
    uuid.UUID(problem["request_id"])


async def test_wrong_method_is_405(client: httpx.AsyncClient) -> None:
    response = await client.post("/health")
    assert response.status_code == 405
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [("abc-123_x.y", True), ("x" * 128, True), ("x" * 129, False), ("bad id!", False)],
)
async def test_request_id_is_echoed_only_when_well_formed(
    client: httpx.AsyncClient, sent: str, echoed: bool
) -> None:
    response = await client.get("/health", headers={"X-Request-ID": sent})
    assert (response.headers["x-request-id"] == sent) is echoed


async def test_openapi_schema_and_docs_are_served(client: httpx.AsyncClient) -> None:
    schema = await client.get("/schema")
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.1")
    assert "/health" in document["paths"]
    assert (await client.get("/schema/openapi.json")).json() == document
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    assert "swagger" in docs.text.lower()


async def test_unexpected_errors_hide_internals() -> None:
    @get("/boom", sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("secret internals")

    app = Litestar([boom], exception_handlers={Exception: handle_unexpected})
    async with AsyncTestClient(app) as test_client:
        response = await test_client.get("/boom")
    assert response.status_code == 500
    problem = response.json()
    assert problem["code"] == "INTERNAL_ERROR"
    assert "secret" not in response.text
    assert problem["detail"].startswith("Unexpected error (request ")


async def test_a_response_later_than_the_write_timeout_is_503() -> None:
    never = asyncio.Event()

    async def stuck_app(scope: Scope, receive: Receive, send: Send) -> None:
        await never.wait()

    app = AccessLogMiddleware(stuck_app, litestar=Litestar([]), write_timeout=0.05)
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "GET", "path": "/slow", "headers": []}
    await app(scope, receive, send)
    assert sent[0]["status"] == 503
    assert b'"code":"SERVICE_UNAVAILABLE"' in sent[1]["body"]
