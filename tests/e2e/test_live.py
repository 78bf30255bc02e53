"""The live connection: "reconnecting…" after a drop, resume from the last event (missed
messages are replayed), and a `resync_required` reloads the message list."""

from __future__ import annotations

import json

import httpx
from playwright.sync_api import Route, WebSocketRoute, expect

from .browsing import create_chat, create_workspace, live, message, send, sign_in
from .conftest import NewPage
from .server_kit import Server, unique


def test_a_dropped_connection_resumes_and_a_resync_reloads_the_log(
    new_page: NewPage, server: Server
) -> None:
    name = unique("rita")
    page = new_page()
    sockets: list[WebSocketRoute] = []

    def through(ws: WebSocketRoute) -> None:
        ws.connect_to_server()  # frames pass both ways; the test can drop or add some
        sockets.append(ws)

    page.route_web_socket("**/api/v1/ws*", through)
    sign_in(page, name)
    workspace_id = create_workspace(page, unique("Live"))
    chat_id = create_chat(page, "Flaky network", type="discussion")
    live(page)
    send(page, "before the drop")

    # the network drops and tickets cannot be had for a while: the page says so
    def refuse(route: Route) -> None:
        route.abort()

    page.route("**/ws-ticket", refuse)
    sockets[-1].close(code=1001, reason="going away")
    expect(page.locator("#live")).to_have_attribute("data-state", "reconnecting")
    expect(page.locator("#live")).to_contain_text("reconnecting…")

    with httpx.Client(base_url=server.base_url + "/api/v1") as api:
        issued = api.post("/auth/dev/token", json={"username": name}).json()
        answer = api.post(
            f"/workspaces/{workspace_id}/chats/{chat_id}/messages",
            json={"content": "sent while you were away"},
            headers={"Authorization": f"Bearer {issued['access_token']}"},
        )
        assert answer.status_code == 201, answer.text
    expect(message(page, "sent while you were away")).to_have_count(0)

    page.unroute("**/ws-ticket")
    live(page)
    expect(message(page, "sent while you were away")).to_be_visible()  # replayed

    # the server cannot replay: the page reloads the list
    message(page, "before the drop").evaluate("article => article.remove()")
    frame = {"type": "resync_required", "chat_id": chat_id, "reason": "too_many"}
    sockets[-1].send(json.dumps(frame))
    expect(message(page, "before the drop")).to_be_visible()
