"""Shared fixtures for tests against the real servers of `scripts/services.sh up`.

Each server's address comes from an environment variable with the harness's default:

- ``FLOWRA_TEST_MONGODB_URI`` (FerretDB): ``mongodb://127.0.0.1:27017``
- ``FLOWRA_TEST_REDIS_URL``: ``redis://127.0.0.1:6379/0``
- ``FLOWRA_TEST_KEYCLOAK_URL``: ``http://127.0.0.1:8090`` (realm ``flowra``)

A server that does not answer fails the test that needs it, with a message saying how to
start it: these tests never skip.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias

import httpx
import pytest
import redis.asyncio as aioredis
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError
from redis.exceptions import RedisError

DEFAULT_MONGODB_URI = "mongodb://127.0.0.1:27017"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_KEYCLOAK_URL = "http://127.0.0.1:8090"

KEYCLOAK_REALM = "flowra"
KEYCLOAK_CLIENT_ID = "flowra-backend"
KEYCLOAK_CLIENT_SECRET = "flowra-dev-secret"

CONNECT_TIMEOUT_S = 5.0
START_HINT = "start the test servers with `scripts/services.sh up`"

MongoDocument: TypeAlias = dict[str, Any]
TokenFetcher: TypeAlias = Callable[[str, str], Awaitable[str]]


@pytest.fixture(scope="session")
def mongodb_uri() -> str:
    return os.environ.get("FLOWRA_TEST_MONGODB_URI", DEFAULT_MONGODB_URI)


@pytest.fixture(scope="session")
def redis_url() -> str:
    return os.environ.get("FLOWRA_TEST_REDIS_URL", DEFAULT_REDIS_URL)


@pytest.fixture(scope="session")
def keycloak_url() -> str:
    return os.environ.get("FLOWRA_TEST_KEYCLOAK_URL", DEFAULT_KEYCLOAK_URL).rstrip("/")


@pytest.fixture(scope="session")
def keycloak_issuer(keycloak_url: str) -> str:
    """The `iss` of the realm's tokens: Keycloak derives it from the URL it is reached at."""
    return f"{keycloak_url}/realms/{KEYCLOAK_REALM}"


@pytest.fixture
async def mongo_client(mongodb_uri: str) -> AsyncIterator[AsyncMongoClient[MongoDocument]]:
    """A connected client; fails (never skips) when the server does not answer a ping."""
    timeout_ms = int(CONNECT_TIMEOUT_S * 1000)
    client: AsyncMongoClient[MongoDocument] = AsyncMongoClient(
        mongodb_uri,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
    )
    try:
        try:
            await client.admin.command("ping")
        except PyMongoError as exc:
            pytest.fail(f"MongoDB/FerretDB not reachable at {mongodb_uri} ({START_HINT}): {exc}")
        yield client
    finally:
        await client.close()


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A connected client with str responses; fails when the server does not answer."""
    client = aioredis.Redis.from_url(
        redis_url,
        decode_responses=True,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=CONNECT_TIMEOUT_S,
    )
    try:
        try:
            await client.ping()
        except (RedisError, OSError) as exc:
            pytest.fail(f"Redis not reachable at {redis_url} ({START_HINT}): {exc}")
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def keycloak_http(keycloak_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the Keycloak base URL; fails when the realm is not served."""
    async with httpx.AsyncClient(base_url=keycloak_url, timeout=10.0) as client:
        discovery = f"/realms/{KEYCLOAK_REALM}/.well-known/openid-configuration"
        try:
            response = await client.get(discovery)
        except httpx.HTTPError as exc:
            pytest.fail(f"Keycloak not reachable at {keycloak_url} ({START_HINT}): {exc!r}")
        if response.status_code != httpx.codes.OK:
            pytest.fail(
                f"Keycloak at {keycloak_url} answered {response.status_code} for {discovery}: "
                f"realm {KEYCLOAK_REALM!r} missing? ({START_HINT})"
            )
        yield client


@pytest.fixture
def password_grant(keycloak_http: httpx.AsyncClient) -> TokenFetcher:
    """``await password_grant(username, password)``: an access token from the password grant."""

    async def fetch(username: str, password: str) -> str:
        return await _password_grant(keycloak_http, username, password)

    return fetch


async def _password_grant(client: httpx.AsyncClient, username: str, password: str) -> str:
    response = await client.post(
        f"/realms/{KEYCLOAK_REALM}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": KEYCLOAK_CLIENT_ID,
            "client_secret": KEYCLOAK_CLIENT_SECRET,
            "username": username,
            "password": password,
            "scope": "openid",
        },
    )
    assert response.status_code == httpx.codes.OK, (
        f"password grant for {username!r} failed: {response.status_code} {response.text}"
    )
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


# The index audit (index_audit.py) runs with every integration run.
from .index_audit import (  # noqa: E402
    pytest_configure,
    pytest_sessionfinish,
    pytest_terminal_summary,
)

__all__ = ["pytest_configure", "pytest_sessionfinish", "pytest_terminal_summary"]
