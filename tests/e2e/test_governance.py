"""Workspace settings → API tokens, webhooks and the audit log, in Chromium against a real
`flowra-api` (embedded profile: its worker delivers webhooks to a receiver in this process,
on 127.0.0.1, allowed by `webhooks.allow_private_targets` for this server only)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from .browsing import assert_accessible, create_chat, create_workspace, send, sign_in
from .conftest import NewPage
from .server_kit import Server, base_env, free_port, running_api, unique

# A bounded wait for the receiver: long enough for one failed first attempt and its retry
# (back-off 10 s ± 20 %, domain/webhooks.py) on a machine loaded by other suites.
WAIT_S = 40.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = base_env(free_port(), tmp_path_factory.mktemp("uploads"))
    env["FLOWRA_WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = "true"
    env["FLOWRA_WEBHOOKS_DELIVERY_INTERVAL"] = "200ms"
    with running_api(env) as running:
        yield running


class Receiver:
    """A real HTTP receiver: records each POST's headers and JSON body, answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict[str, object]]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver.arrived:
                    receiver.received.append((dict(self.headers), json.loads(body)))
                    receiver.arrived.notify_all()
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"thanks")

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/flowra"

    def wait_for(self, count: int) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.received) >= count, timeout=WAIT_S)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hooks = Receiver()
    thread = threading.Thread(target=hooks.server.serve_forever, daemon=True)
    thread.start()
    yield hooks
    hooks.server.shutdown()
    hooks.server.server_close()
    thread.join(timeout=WAIT_S)


def confirmed(page: Page, button: Locator) -> None:
    """A destructive action asks first (hx-confirm, the page's own dialog): accept."""
    button.click()
    dialog = page.get_by_role("dialog", name="Are you sure?")
    expect(dialog).to_be_visible()
    dialog.locator("#confirm-action").click()
    expect(dialog).to_be_hidden()


def _admin_workspace(page: Page) -> str:
    sign_in(page, unique("ada"))
    return create_workspace(page, unique("Gov"))


def test_a_token_is_shown_once_works_on_the_api_and_stops_when_revoked(
    new_page: NewPage, server: Server
) -> None:
    page = new_page()
    workspace_id = _admin_workspace(page)
    page.goto(f"/workspaces/{workspace_id}/settings")
    page.get_by_role("link", name="API tokens").click()
    expect(page).to_have_url(re.compile(f"/workspaces/{workspace_id}/tokens$"))
    assert_accessible(page)

    page.get_by_label("Token name").fill("deploy script")
    page.get_by_label("Expires in (days, empty for never)").fill("30")
    page.get_by_label("write").check()
    page.get_by_role("button", name="Create token").click()
    secret_field = page.get_by_label("New token secret")
    expect(secret_field).to_have_value(re.compile(r"^flowra_pat_"))
    secret = secret_field.input_value()
    row = page.get_by_role("row").filter(has_text="deploy script")
    expect(row).to_contain_text("read, write")
    expect(row).to_contain_text("active")
    assert_accessible(page)

    api = httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {secret}"})
    with api:
        answer = api.get(f"/api/v1/workspaces/{workspace_id}")
        assert answer.status_code == 200, answer.text

        page.reload()  # shown once: gone from the page, the list has no secret
        expect(page.get_by_label("New token secret")).to_have_count(0)
        assert secret not in page.content()
        row = page.get_by_role("row").filter(has_text="deploy script")
        expect(row.get_by_role("cell").nth(4)).not_to_have_text("never")  # last used

        confirmed(page, row.get_by_role("button", name="Revoke deploy script"))
        expect(page.get_by_role("row").filter(has_text="deploy script")).to_contain_text("revoked")
        refused = api.get(f"/api/v1/workspaces/{workspace_id}")
        assert refused.status_code == 401, refused.text


def test_a_webhook_delivers_to_a_local_receiver_and_its_log_redelivers(
    new_page: NewPage, receiver: Receiver
) -> None:
    page = new_page()
    workspace_id = _admin_workspace(page)
    chat_url = f"/workspaces/{workspace_id}/chats/{create_chat(page, 'Hooked', type='task')}"
    page.goto(f"/workspaces/{workspace_id}/settings")
    page.get_by_role("link", name="Webhooks").click()
    assert_accessible(page)
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_role("button", name="Add endpoint").click()
    expect(page).to_have_url(re.compile(r"/webhooks/[\w-]+$"))
    endpoint_url = page.url
    expect(page.get_by_role("textbox", name="Signing secret")).to_have_value(re.compile(r"^whsec_"))
    expect(page.locator("#endpoint-status")).to_have_text("active")

    page.goto(chat_url)
    send(page, "ship it")  # the very next commit: no wait for a cache to expire
    receiver.wait_for(1)
    headers, body = receiver.received[0]
    assert body["type"] == "message.created"
    assert headers["Flowra-Event-Id"] == body["event_id"]

    page.goto(endpoint_url)
    log = page.get_by_role("row").filter(has_text="message.created")
    expect(log).to_have_count(1)
    expect(log).to_contain_text("delivered")
    expect(log).to_contain_text("200")
    assert_accessible(page)
    # The answer reloads the endpoint's page (HX-Redirect): wait for it, or a later
    # navigation of ours races it.
    with page.expect_navigation(url=endpoint_url):
        confirmed(page, log.get_by_role("button", name=re.compile("^Redeliver")))
    receiver.wait_for(2)
    assert receiver.received[1][0]["Flowra-Event-Id"] == body["event_id"]  # same event id

    # change the filter, pause, resume, delete
    page.get_by_label("message.edited").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".toast").filter(has_text="Saved")).to_be_visible()
    confirmed(page, page.get_by_role("button", name="Disable"))
    expect(page.locator("#endpoint-status")).to_have_text("disabled")
    page.get_by_role("button", name="Enable").click()
    expect(page.locator("#endpoint-status")).to_have_text("active")
    expect(page.get_by_label("message.edited")).to_be_checked()
    page.goto(f"/workspaces/{workspace_id}/webhooks")
    expect(page.get_by_role("link", name=receiver.url)).to_be_visible()
    assert_accessible(page)
    page.goto(endpoint_url)
    confirmed(page, page.get_by_role("button", name="Delete endpoint"))
    expect(page).to_have_url(re.compile(f"/workspaces/{workspace_id}/webhooks$"))
    expect(page.get_by_role("link", name=receiver.url)).to_have_count(0)


def test_the_audit_log_lists_filters_and_exports(
    new_page: NewPage, server: Server, tmp_path: Path
) -> None:
    page = new_page()
    workspace_id = _admin_workspace(page)
    page.goto(f"/workspaces/{workspace_id}/tokens")
    page.get_by_label("Token name").fill("audited")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_label("New token secret")).to_be_visible()
    page.goto(f"/workspaces/{workspace_id}/settings")
    page.get_by_label("Name", exact=True).fill("Renamed for audit")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".toast").filter(has_text="Saved")).to_be_visible()

    page.get_by_role("link", name="Audit log").click()
    table = page.get_by_role("table")
    expect(table.get_by_role("row").filter(has_text="token.created")).to_have_count(1)
    expect(table.get_by_role("row").filter(has_text="workspace.updated")).to_have_count(1)
    assert_accessible(page)

    page.get_by_label("Action").select_option("token.created")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page).to_have_url(re.compile(r"action=token.created"))
    expect(table.get_by_role("row").filter(has_text="token.created")).to_have_count(1)
    expect(table.get_by_role("row").filter(has_text="workspace.updated")).to_have_count(0)

    page.get_by_label("Actor").select_option(index=1)  # the admin: all of these are theirs
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page).to_have_url(re.compile(r"actor_id="))
    expect(table.get_by_role("row").filter(has_text="token.created")).to_have_count(1)

    page.get_by_label("From (UTC)").fill("2999-01-01T00:00")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page.get_by_text("No entries match.")).to_be_visible()

    page.get_by_role("button", name="Clear filters").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export as JSON Lines").click()
    exported = tmp_path / "audit.jsonl"
    download_info.value.save_as(exported)
    actions = [json.loads(line)["action"] for line in exported.read_text().splitlines()]
    assert {"token.created", "workspace.updated"} <= set(actions)


def test_a_member_who_is_not_an_admin_gets_the_not_found_page(new_page: NewPage) -> None:
    owner = new_page()
    workspace_id = _admin_workspace(owner)
    owner.goto(f"/workspaces/{workspace_id}/members")
    owner.get_by_role("button", name="Create invite link").click()
    link = owner.get_by_label("Invite link").first.input_value()
    member = new_page()
    sign_in(member, unique("max"))
    member.goto(link)
    member.get_by_role("button", name="Accept invitation").click()
    expect(member).to_have_url(re.compile(f"/workspaces/{workspace_id}$"))
    member.goto(f"/workspaces/{workspace_id}/settings")
    expect(member.get_by_role("link", name="API tokens")).to_have_count(0)
    for section in ("tokens", "webhooks", "audit"):
        answer = member.goto(f"/workspaces/{workspace_id}/{section}")
        assert answer is not None
        assert answer.status in (403, 404), (section, answer.status)
        expect(member.get_by_role("heading", level=1)).not_to_have_text(
            re.compile("API tokens|Webhooks|Audit log")
        )
