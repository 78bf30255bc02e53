"""A typed Python client generated from the served document (openapi-python-client, into a
temporary directory, never edited) runs the end-to-end scenario: create a workspace, invite,
create a task chat, send a message with tags, read the board, mark notifications read."""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID

import pytest

PACKAGE = "flowra_generated_client"
NOTIFIED_WITHIN = 10.0


@pytest.fixture(scope="module")
def generated(api_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("client")
    generator = str(Path(sys.executable).with_name("openapi-python-client"))
    command = [generator, "generate", "--url", f"{api_url}/schema/openapi.json", "--meta", "none"]
    command += ["--output-path", str(root / PACKAGE)]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))


def op(tag: str, operation: str) -> Any:
    """A generated operation module: `api/<tag>/<operation>.py`."""
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{operation}")


def model(name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def signed_in(stack: ExitStack, client_module: ModuleType, api_url: str, username: str) -> Any:
    """A generated client carrying a dev token (closed with `stack`)."""
    with client_module.Client(base_url=api_url) as anonymous:
        body = model("DevTokenRequest")(username=username)
        tokens = op("auth", "api_v1_auth_dev_token_dev_token").sync(client=anonymous, body=body)
    assert isinstance(tokens, model("TokenResponse")), tokens
    client = client_module.AuthenticatedClient(base_url=api_url, token=tokens.access_token)
    return stack.enter_context(client)


def test_the_scenario_through_a_generated_client(generated: ModuleType, api_url: str) -> None:
    with ExitStack() as stack:
        run_scenario(
            signed_in(stack, generated, api_url, "olga"),
            signed_in(stack, generated, api_url, "bob"),
        )


def run_scenario(olga: Any, bob: Any) -> None:
    ws = "api_v1_workspaces_workspace_id"

    workspace = op("workspaces", "api_v1_workspaces_create").sync(
        client=olga, body=model("CreateWorkspaceRequest")(name="Acme")
    )
    assert isinstance(workspace, model("WorkspaceResponse")), workspace
    workspace_id = UUID(workspace.id)

    invite = op("workspaces", f"{ws}_invites_create_invite").sync(
        workspace_id, client=olga, body=model("CreateInviteRequest")(role="member")
    )
    assert isinstance(invite, model("InviteResponse")), invite
    joined = op("invites", "api_v1_invites_token_accept_accept").sync(invite.token, client=bob)
    assert isinstance(joined, model("WorkspaceResponse")), joined
    assert joined.my_role == "member"

    task = op("chats", f"{ws}_chats_create").sync(
        workspace_id,
        client=olga,
        body=model("CreateChatRequest")(type_="task", title="Fix login"),
    )
    assert isinstance(task, model("ChatResponse")), task
    sent = op("messages", f"{ws}_chats_chat_id_messages_send").sync(
        workspace_id,
        UUID(task.id),
        client=olga,
        body=model("SendMessageRequest")(content="Over to you\n#status In Progress #assignee @bob"),
    )
    assert isinstance(sent, model("SentMessageResponse")), sent
    assert [(r.tag, r.ok) for r in sent.tag_results] == [("status", True), ("assignee", True)]

    board = op("tasks", f"{ws}_board_board").sync(workspace_id, client=olga)
    assert isinstance(board, model("BoardResponse")), board
    columns = {column.category: column for column in board.columns}
    assert [item.title for item in columns["in_progress"].items] == ["Fix login"]
    assert columns["in_progress"].items[0].assignee.username == "bob"

    unread = op("notifications", "api_v1_notifications_unread_count_unread_count")
    deadline = time.monotonic() + NOTIFIED_WITHIN
    while (count := unread.sync(client=bob).count) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # the assignment notification is dispatched after the commit
    assert count >= 1
    marked = op("notifications", "api_v1_notifications_read_all_mark_all_read").sync(client=bob)
    assert isinstance(marked, model("MarkedCountResponse")), marked
    assert marked.marked_count == count
    assert unread.sync(client=bob).count == 0
