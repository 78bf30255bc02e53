"""Each real server of `scripts/services.sh up` answers from Python as Flowra needs it.

- FerretDB speaks enough MongoDB for PyMongo's async client, unique indexes included;
- Redis answers and delivers pub/sub messages;
- Keycloak issues RS256 access tokens for realm ``flowra`` that verify against its JWKS,
  with the ``flowra-backend`` audience and the realm roles of the user.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import jwt
import pytest
import redis.asyncio as aioredis
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError
from redis.asyncio.client import PubSub

pytestmark = pytest.mark.integration

MESSAGE_TIMEOUT_S = 5.0
AUDIENCE = "flowra-backend"
REALM = "flowra"


# --------------------------------------------------------------------------- MongoDB ---


async def test_mongodb_ping(mongo_client: AsyncMongoClient[dict[str, Any]]) -> None:
    reply = await mongo_client.admin.command("ping")
    assert reply["ok"] == 1.0


async def test_mongodb_unique_index_rejects_duplicate(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    db_name = f"flowra_smoke_{uuid.uuid4().hex[:12]}"
    collection = mongo_client[db_name]["users"]
    try:
        await collection.create_index("email", unique=True)
        await collection.insert_one({"email": "alice@flowra.test", "name": "Alice"})
        with pytest.raises(DuplicateKeyError):
            await collection.insert_one({"email": "alice@flowra.test", "name": "Other"})
        assert await collection.count_documents({}) == 1
    finally:
        await mongo_client.drop_database(db_name)
    assert db_name not in await mongo_client.list_database_names()


# ----------------------------------------------------------------------------- Redis ---


async def test_redis_ping(redis_client: aioredis.Redis) -> None:
    assert await redis_client.ping() is True


async def next_message(pubsub: PubSub, kind: str) -> dict[str, Any]:
    """The next message of type `kind` (e.g. ``subscribe``, ``message``); others are skipped."""
    while True:
        message: dict[str, Any] | None = await pubsub.get_message(timeout=1.0)
        if message is not None and message["type"] == kind:
            return message


async def test_redis_pubsub_round_trip(redis_client: aioredis.Redis) -> None:
    channel = f"flowra-smoke-{uuid.uuid4().hex}"
    async with redis_client.pubsub() as pubsub:
        await pubsub.subscribe(channel)
        confirmed = await asyncio.wait_for(next_message(pubsub, "subscribe"), MESSAGE_TIMEOUT_S)
        assert confirmed["channel"] == channel

        receivers = await redis_client.publish(channel, "hello flowra")
        assert receivers == 1

        received = await asyncio.wait_for(next_message(pubsub, "message"), MESSAGE_TIMEOUT_S)
        assert received["channel"] == channel
        assert received["data"] == "hello flowra"

        await pubsub.unsubscribe(channel)


# -------------------------------------------------------------------------- Keycloak ---


async def verify_access_token(
    keycloak_http: httpx.AsyncClient, issuer: str, token: str
) -> dict[str, Any]:
    """The claims of `token` once its RS256 signature, issuer, audience and expiry check out."""
    response = await keycloak_http.get(f"/realms/{REALM}/protocol/openid-connect/certs")
    assert response.status_code == httpx.codes.OK, response.text
    # Keycloak also publishes an RSA-OAEP encryption key, which PyJWKSet leaves out.
    jwks = jwt.PyJWKSet.from_dict(response.json())
    kid = jwt.get_unverified_header(token)["kid"]
    signing_key = jwks[kid]
    claims: dict[str, Any] = jwt.decode(
        token,
        key=signing_key,
        algorithms=["RS256"],
        audience=AUDIENCE,
        issuer=issuer,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    return claims


async def test_keycloak_password_grant_token_verifies(
    keycloak_http: httpx.AsyncClient,
    keycloak_issuer: str,
    password_grant: Callable[[str, str], Awaitable[str]],
) -> None:
    token = await password_grant("alice", "test123")

    claims = await verify_access_token(keycloak_http, keycloak_issuer, token)

    assert claims["preferred_username"] == "alice"
    assert claims["iss"] == keycloak_issuer
    audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert AUDIENCE in audience
    assert "user" in claims["realm_access"]["roles"]
    assert "admin" not in claims["realm_access"]["roles"]


async def test_keycloak_admin_token_carries_admin_role(
    keycloak_http: httpx.AsyncClient,
    keycloak_issuer: str,
    password_grant: Callable[[str, str], Awaitable[str]],
) -> None:
    token = await password_grant("admin", "admin123")

    claims = await verify_access_token(keycloak_http, keycloak_issuer, token)

    assert claims["preferred_username"] == "admin"
    assert {"user", "admin"} <= set(claims["realm_access"]["roles"])


async def test_keycloak_rejects_wrong_password(keycloak_http: httpx.AsyncClient) -> None:
    response = await keycloak_http.post(
        f"/realms/{REALM}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": AUDIENCE,
            "client_secret": "flowra-dev-secret",
            "username": "alice",
            "password": "not-the-password",
        },
    )
    assert response.status_code == httpx.codes.UNAUTHORIZED
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("username", "password"),
    [("testuser", "test123"), ("alice", "test123"), ("bob", "test123"), ("admin", "admin123")],
)
async def test_keycloak_every_seeded_user_can_log_in(
    password_grant: Callable[[str, str], Awaitable[str]], username: str, password: str
) -> None:
    token = await password_grant(username, password)

    assert jwt.decode(token, options={"verify_signature": False})["preferred_username"] == username


async def test_keycloak_service_account_can_list_users(
    keycloak_http: httpx.AsyncClient, keycloak_issuer: str
) -> None:
    response = await keycloak_http.post(
        f"/realms/{REALM}/protocol/openid-connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": AUDIENCE,
            "client_secret": "flowra-dev-secret",
        },
    )
    assert response.status_code == httpx.codes.OK, response.text
    token = response.json()["access_token"]
    claims = await verify_access_token(keycloak_http, keycloak_issuer, token)
    roles = set(claims["resource_access"]["realm-management"]["roles"])
    assert {"view-users", "query-users"} <= roles

    users = await keycloak_http.get(
        f"/admin/realms/{REALM}/users", headers={"Authorization": f"Bearer {token}"}
    )
    assert users.status_code == httpx.codes.OK, users.text
    assert {"testuser", "alice", "bob", "admin"} <= {user["username"] for user in users.json()}
