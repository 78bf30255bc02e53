"""Webhook routes over HTTP: admins register (https; the signing secret in the answer), list,
change, reactivate and delete endpoints; bad URLs and events name their field; members are
refused; every change is in the audit log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from tests.unit.http.conftest import Headers
from tests.unit.http.http_kit import assert_problem, ok

Login = Callable[[str], Awaitable[Headers]]
URL = "https://hooks.example/flowra"


@pytest.fixture
def app_config() -> str:
    # No DNS in unit tests: the receiver's host is allowed by name.
    return "webhooks:\n  allowed_hosts: [hooks.example]\n"


def hooks_url(workspace_id: str) -> str:
    return f"/api/v1/workspaces/{workspace_id}/webhooks"


async def test_admins_manage_endpoints_and_every_change_is_audited(
    client: httpx.AsyncClient, login: Login, workspace_id: str
) -> None:
    adam = await login("adam")
    created = await ok(
        client.post(
            hooks_url(workspace_id), json={"url": URL, "events": ["message.created"]}, headers=adam
        )
    )
    assert created["secret"].startswith("whsec_")
    assert (created["status"], created["events"]) == ("active", ["message.created"])
    endpoint = f"{hooks_url(workspace_id)}/{created['id']}"
    changed = await ok(
        client.patch(endpoint, json={"events": ["chat.created", "chat.closed"]}, headers=adam)
    )
    assert changed["events"] == ["chat.closed", "chat.created"]
    listed = await ok(client.get(hooks_url(workspace_id), headers=adam))
    assert [e["id"] for e in listed["items"]] == [created["id"]]
    assert (await ok(client.get(f"{endpoint}/deliveries", headers=adam)))["items"] == []
    assert (await client.delete(endpoint, headers=adam)).status_code == 204
    assert_problem(await client.get(endpoint, headers=adam), 404, "WEBHOOK_NOT_FOUND")

    log = await ok(
        client.get(f"/api/v1/workspaces/{workspace_id}/audit", params={"limit": 100}, headers=adam)
    )
    actions = sorted(e["action"] for e in log["items"] if e["action"].startswith("webhook."))
    assert actions == ["webhook.changed", "webhook.created", "webhook.deleted"]
    assert created["secret"] not in str(log)


async def test_members_and_strangers_are_refused(
    client: httpx.AsyncClient, login: Login, workspace_id: str
) -> None:
    body = {"url": URL, "events": ["message.created"]}
    assert_problem(
        await client.post(hooks_url(workspace_id), json=body, headers=await login("max")),
        403,
        "FORBIDDEN",
    )
    assert_problem(
        await client.post(hooks_url(workspace_id), json=body, headers=await login("zed")),
        404,
        "WORKSPACE_NOT_FOUND",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://hooks.example/x", "events": ["message.created"]}, "url"),
        ({"url": "", "events": ["message.created"]}, "url"),
        ({"url": URL, "events": []}, "events"),
        ({"url": URL, "events": ["notification.created"]}, "events"),
        ({"url": "https://nowhere.invalid/x", "events": ["message.created"]}, "url"),
    ],
)
async def test_bad_input_names_the_field(
    client: httpx.AsyncClient, login: Login, workspace_id: str, body: dict[str, object], field: str
) -> None:
    response = await client.post(hooks_url(workspace_id), json=body, headers=await login("olga"))
    assert_problem(response, 422, "VALIDATION_ERROR", field)
