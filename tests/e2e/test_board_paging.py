"""The board shows a bounded page per column with its own "Show more" (the column's cursor),
in the sort the server applies; moves and live updates still work on it."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from .browsing import assert_accessible, column, create_workspace, live, sign_in
from .conftest import NewPage
from .server_kit import Server, unique

CARDS = 25  # more than the 20 a column shows


def test_columns_page_by_cursor_and_follow_the_chosen_sort(
    new_page: NewPage, server: Server
) -> None:
    name = unique("sara")
    page = new_page()
    sign_in(page, name)
    workspace_id = create_workspace(page, unique("Paging"))
    api = httpx.Client(base_url=server.base_url + "/api/v1", timeout=30)
    issued = api.post("/auth/dev/token", json={"username": name})
    api.headers["Authorization"] = f"Bearer {issued.json()['access_token']}"
    chats = f"/workspaces/{workspace_id}/chats"
    ids: dict[str, str] = {}
    try:
        for number in range(1, CARDS + 1):
            title = f"card {number:02d}"
            created = api.post(chats, json={"type": "task", "title": title})
            ids[title] = created.raise_for_status().json()["id"]
        api.post(chats, json={"type": "task", "title": "urgent", "priority": "Critical"})

        page.goto(f"/workspaces/{workspace_id}/board")
        todo = column(page, "To Do")
        cards = todo.locator("li.card")
        expect(cards).to_have_count(20)
        expect(todo.locator(".count")).to_have_text(str(CARDS + 1))
        expect(cards.first).to_contain_text("urgent")  # board order: priority first
        assert_accessible(page)
        todo.get_by_role("button", name="Show more in To Do").click()
        expect(cards).to_have_count(CARDS + 1)
        expect(todo.get_by_role("button", name="Show more in To Do")).to_have_count(0)
        expect(cards.last).to_contain_text("card 01")  # then newest first

        # the server sorts: by title, and "Show more" continues in that sort
        filters = page.get_by_role("search", name="Board filters")
        filters.get_by_label("Sort").select_option(label="Title")
        filters.get_by_role("button", name="Filter").click()
        expect(filters.get_by_label("Sort")).to_have_value("title")
        expect(cards).to_have_count(20)
        expect(cards.first).to_contain_text("card 01")
        expect(cards.last).to_contain_text("card 20")
        todo.get_by_role("button", name="Show more in To Do").click()
        expect(cards).to_have_count(CARDS + 1)
        expect(cards.last).to_contain_text("urgent")

        # a card of the second page moves with the keyboard's list like any other
        todo.get_by_label("Move card 24 to").select_option(label="In Progress")
        expect(column(page, "In Progress").get_by_role("link", name="card 24")).to_be_visible()
        expect(todo.locator(".count")).to_have_text(str(CARDS))

        # live: another change re-sorts the board in the chosen sort ("Last updated")
        filters.get_by_label("Sort").select_option(label="Last updated")
        filters.get_by_role("button", name="Filter").click()
        expect(filters.get_by_label("Sort")).to_have_value("-updated_at")
        live(page)
        expect(cards.first).not_to_contain_text("card 05")
        api.patch(f"{chats}/{ids['card 05']}", json={"priority": "Low"}).raise_for_status()
        expect(cards.first).to_contain_text("card 05")
    finally:
        api.close()
