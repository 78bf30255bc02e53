"""The audit log over HTTP: what is recorded (and how it ended), who reads it, filters and
cursor pages, the JSON Lines export, no way to edit it, `audit.enabled`, the SIEM log line."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from loguru import logger
from tests.unit.http.conftest import Headers
from tests.unit.http.http_kit import assert_problem, ok

from flowra_core.testing.clock import FixedClock

Login = Callable[[str], Awaitable[Headers]]


def audit_url(workspace_id: str) -> str:
    return f"/api/v1/workspaces/{workspace_id}/audit"


async def entries(
    client: httpx.AsyncClient, url: str, headers: Headers, **params: Any
) -> list[Any]:
    page = await ok(client.get(url, params={"limit": 100, **params}, headers=headers))
    items: list[Any] = page["items"]
    return items


async def test_admin_actions_are_recorded_with_actor_target_and_request_metadata(
    client: httpx.AsyncClient,
    login: Login,
    user_ids: dict[str, str],
    workspace_id: str,
    make_chat: Callable[..., Awaitable[str]],
) -> None:
    olga = await login("olga")
    url = f"/api/v1/workspaces/{workspace_id}"
    await ok(client.patch(f"{url}/members/{user_ids['max']}", json={"role": "admin"}, headers=olga))
    await ok(client.delete(f"{url}/members/{user_ids['mia']}", headers=olga))
    invite = await ok(client.post(f"{url}/invites", json={"role": "member"}, headers=olga))
    await ok(client.delete(f"{url}/invites/{invite['id']}", headers=olga))
    second = await ok(client.post(f"{url}/invites", json={"role": "member"}, headers=olga))
    await ok(client.post(f"/api/v1/invites/{second['token']}/accept", headers=await login("zed")))
    chat = await make_chat("olga")
    await ok(client.delete(f"{url}/chats/{chat}", headers=olga))
    await ok(
        client.patch(
            url,
            json={"name": "Acme 2"},
            headers={**olga, "User-Agent": "audit-test/1", "X-Request-ID": "req-42"},
        )
    )

    log = await entries(client, audit_url(workspace_id), olga)
    # One fixed clock: every entry has the same time, so compare without order.
    actions = sorted(entry["action"] for entry in log)
    assert actions == sorted(
        [
            "member.added",
            "member.added",
            "member.added",
            "member.role_changed",
            "member.removed",
            "invite.created",
            "invite.revoked",
            "invite.created",
            "invite.accepted",
            "chat.deleted",
            "workspace.updated",
        ]
    )
    rename = next(e for e in log if e["action"] == "workspace.updated")
    assert rename["actor_id"] == user_ids["olga"]
    assert rename["outcome"] == "success"
    assert (rename["request_id"], rename["user_agent"]) == ("req-42", "audit-test/1")
    assert rename["target_id"] == workspace_id
    assert rename["ip"]
    role = next(e for e in log if e["action"] == "member.role_changed")
    assert (role["target_type"], role["target_id"]) == ("user", user_ids["max"])
    accepted = next(e for e in log if e["action"] == "invite.accepted")
    assert accepted["actor_id"] == user_ids["zed"]
    assert second["token"] not in json.dumps(log)  # the invite secret is never recorded


async def test_refused_actions_are_recorded_as_denied(
    client: httpx.AsyncClient, login: Login, user_ids: dict[str, str], workspace_id: str
) -> None:
    url = f"/api/v1/workspaces/{workspace_id}/members/{user_ids['mia']}"
    refused = await client.delete(url, headers=await login("max"))
    assert refused.status_code == 403
    [entry] = await entries(
        client, audit_url(workspace_id), await login("olga"), action="member.removed"
    )
    assert (entry["outcome"], entry["status"], entry["actor_id"]) == (
        "denied",
        403,
        user_ids["max"],
    )


async def test_sign_ins_and_token_changes_are_recorded(
    client: httpx.AsyncClient, login_sysadmin: Login, user_ids: dict[str, str]
) -> None:
    root = await login_sysadmin("root")
    created = await ok(
        client.post("/api/v1/tokens", json={"name": "ci", "scopes": ["read"]}, headers=root)
    )
    await ok(client.delete(f"/api/v1/tokens/{created['token']['id']}", headers=root))
    bad = await client.post("/api/v1/auth/dev/token", json={"username": "no spaces allowed!"})
    assert bad.status_code == 422

    log = await entries(client, "/api/v1/audit", root)
    by_action = {(e["action"], e["outcome"]) for e in log}
    assert {
        ("auth.sign_in", "success"),
        ("auth.sign_in", "failed"),
        ("token.created", "success"),
        ("token.revoked", "success"),
    } <= by_action
    sign_in = next(e for e in log if e["action"] == "auth.sign_in" and e["outcome"] == "success")
    assert sign_in["actor_id"] == user_ids["root"]
    revoked = next(e for e in log if e["action"] == "token.revoked")
    assert revoked["target_id"] == created["token"]["id"]
    assert created["secret"] not in json.dumps(log)


async def test_only_owners_admins_and_system_admins_read_it(
    client: httpx.AsyncClient, login: Login, login_sysadmin: Login, workspace_id: str
) -> None:
    url = audit_url(workspace_id)
    assert (await client.get(url, headers=await login("adam"))).status_code == 200
    assert_problem(await client.get(url, headers=await login("max")), 403, "FORBIDDEN")
    assert_problem(await client.get(url, headers=await login("zed")), 404, "WORKSPACE_NOT_FOUND")
    assert (await client.get(url, headers=await login_sysadmin("root"))).status_code == 200
    assert_problem(await client.get("/api/v1/audit", headers=await login("olga")), 403, "FORBIDDEN")


async def test_filters_and_cursor_pages(
    client: httpx.AsyncClient,
    login: Login,
    user_ids: dict[str, str],
    workspace_id: str,
    clock: FixedClock,
) -> None:
    olga, adam = await login("olga"), await login("adam")
    url = f"/api/v1/workspaces/{workspace_id}"
    start = clock.now()
    for index in range(3):
        clock.advance(timedelta(seconds=1))
        await ok(client.patch(url, json={"description": f"v{index}"}, headers=olga))
    clock.advance(timedelta(seconds=1))
    await ok(client.post(f"{url}/invites", json={"role": "member"}, headers=adam))

    by_adam = await entries(client, audit_url(workspace_id), olga, actor_id=user_ids["adam"])
    assert [e["action"] for e in by_adam] == ["invite.created"]
    updates = await entries(client, audit_url(workspace_id), olga, action="workspace.updated")
    assert len(updates) == 3
    window = await entries(
        client,
        audit_url(workspace_id),
        olga,
        since=(start + timedelta(seconds=2)).isoformat(),
        until=(start + timedelta(seconds=4)).isoformat(),
    )
    assert [e["action"] for e in window] == ["workspace.updated", "workspace.updated"]

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await ok(client.get(audit_url(workspace_id), params=params, headers=olga))
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = await entries(client, audit_url(workspace_id), olga)
    assert seen == [e["id"] for e in everything]
    assert len(seen) == 7  # three members added, three updates, one invite

    response = await client.get(audit_url(workspace_id), params={"action": "nope"}, headers=olga)
    assert_problem(response, 422, "VALIDATION_ERROR", "action")
    response = await client.get(
        audit_url(workspace_id), params={"since": "yesterday"}, headers=olga
    )
    assert_problem(response, 422, "VALIDATION_ERROR", "since")


async def test_the_json_lines_export_holds_every_entry_and_is_itself_recorded(
    client: httpx.AsyncClient, login: Login, workspace_id: str, clock: FixedClock
) -> None:
    olga = await login("olga")
    clock.advance(timedelta(seconds=1))
    exported = await client.get(f"{audit_url(workspace_id)}/export", headers=olga)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert [line["action"] for line in lines] == ["member.added"] * 3
    log = await entries(client, audit_url(workspace_id), olga)
    assert log[0]["action"] == "data.exported"
    assert_problem(
        await client.get(f"{audit_url(workspace_id)}/export", headers=await login("max")),
        403,
        "FORBIDDEN",
    )


async def test_no_route_edits_or_deletes_entries(
    client: httpx.AsyncClient, login: Login, workspace_id: str
) -> None:
    olga = await login("olga")
    [entry, *_] = await entries(client, audit_url(workspace_id), olga)
    for method in ("DELETE", "PATCH", "PUT"):
        response = await client.request(
            method, f"{audit_url(workspace_id)}/{entry['id']}", headers=olga
        )
        assert response.status_code in (404, 405)
        response = await client.request(method, audit_url(workspace_id), headers=olga)
        assert response.status_code == 405


async def test_message_contents_are_never_recorded(
    client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str, clock: FixedClock
) -> None:
    olga = await login("olga")
    clock.advance(timedelta(seconds=1))
    url = f"/api/v1/workspaces/{workspace_id}/chats/{chat_id}/messages"
    await ok(client.post(url, json={"content": "the secret plan"}, headers=olga))
    await ok(client.delete(f"/api/v1/workspaces/{workspace_id}/chats/{chat_id}", headers=olga))
    log = await entries(client, audit_url(workspace_id), olga)
    assert "the secret plan" not in json.dumps(log)
    assert log[0]["action"] == "chat.deleted"


@pytest.fixture
def audit_lines() -> Iterator[list[dict[str, Any]]]:
    lines: list[dict[str, Any]] = []
    sink = logger.add(
        lambda message: lines.append(dict(message.record["extra"])),
        filter=lambda record: record["extra"].get("audit") is True,
    )
    yield lines
    logger.remove(sink)


async def test_entries_go_to_the_structured_log_and_the_metric(
    client: httpx.AsyncClient, login: Login, workspace_id: str, audit_lines: list[dict[str, Any]]
) -> None:
    await ok(
        client.patch(
            f"/api/v1/workspaces/{workspace_id}", json={"name": "X"}, headers=await login("olga")
        )
    )
    assert any(
        line["action"] == "workspace.updated" and line["audit"] is True for line in audit_lines
    )
    exposition = (await client.get("/metrics")).text
    assert 'flowra_audit_entries_total{action="workspace.updated"} 1.0' in exposition


async def test_audit_disabled_writes_nothing(
    make_app: Callable[[str], Awaitable[httpx.AsyncClient]],
) -> None:
    quiet = await make_app("audit:\n  enabled: false\n")
    root = await ok(
        quiet.post("/api/v1/auth/dev/token", json={"username": "root", "is_system_admin": True})
    )
    headers = {"Authorization": f"Bearer {root['access_token']}"}
    await ok(quiet.post("/api/v1/workspaces", json={"name": "W"}, headers=headers))
    assert await entries(quiet, "/api/v1/audit", headers) == []
