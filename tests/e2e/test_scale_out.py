"""The main scenario across two `flowra-api` instances on FerretDB and Redis: alice uses
instance A, bob instance B; everything live crosses over the Redis event bus."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .browsing import column, create_chat, create_workspace, live, message, send, sign_in
from .conftest import NewPage
from .server_kit import Server, free_port, migrate, mongo_redis_env, running_api, unique


@pytest.fixture
def two_instances(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    database = f"flowra_e2e_{uuid.uuid4().hex[:10]}"
    prefix = f"e2e{uuid.uuid4().hex[:8]}."
    uploads = tmp_path / "uploads"  # shared, as a volume would be
    envs = [mongo_redis_env(free_port(), uploads, database, prefix) for _ in range(2)]
    migrate(envs[0])
    with ExitStack() as stack:
        first, second = (stack.enter_context(running_api(env)) for env in envs)
        yield first, second


def test_alice_on_one_instance_and_bob_on_another(
    new_page: NewPage, two_instances: tuple[Server, Server]
) -> None:
    a, b = two_instances
    alice_name, bob_name = unique("alice"), unique("bob")
    alice = new_page(base_url=a.base_url)
    sign_in(alice, alice_name)
    workspace_id = create_workspace(alice, "Scaled " + alice_name)
    alice.goto(f"/workspaces/{workspace_id}/members")
    alice.get_by_role("button", name="Create invite link").click()
    token = alice.get_by_label("Invite link").first.input_value().rsplit("/invites/", 1)[1]

    bob = new_page(base_url=b.base_url)
    sign_in(bob, bob_name)
    bob.goto(f"/invites/{token}")
    bob.get_by_role("button", name="Accept invitation").click()
    expect(bob).to_have_url(re.compile(f"/workspaces/{workspace_id}$"))
    live(bob)

    alice.goto(f"/workspaces/{workspace_id}")
    chat_id = create_chat(alice, "Cross the bus")
    chats = bob.get_by_role("navigation", name="Chats")
    expect(chats.get_by_role("link", name=re.compile("Cross the bus"))).to_be_visible()
    bob.goto(f"/workspaces/{workspace_id}/chats/{chat_id}")
    bob.get_by_role("button", name="Join chat").click()
    expect(bob.get_by_label("Message", exact=True)).to_be_visible()
    live(bob)
    live(alice)

    send(alice, "Hello from instance A")
    expect(message(bob, "Hello from instance A")).to_be_visible()
    board = alice.context.new_page()
    board.goto(f"/workspaces/{workspace_id}/board")
    live(board)
    send(bob, f"Done from B\n#status Done\n#assignee @{alice_name}")
    expect(message(alice, "Done from B")).to_be_visible()
    expect(alice.locator("article.msg-bot").first).to_contain_text("Done")
    expect(column(board, "Done").get_by_role("link", name="Cross the bus")).to_be_visible()
