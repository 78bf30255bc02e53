"""Helpers shared by the HTTP tests (imported as `from .http_kit import ...`): the callables
the conftest fixtures hand out, URLs, answer checks and small readers of the API.

Fixtures live in conftest.py; this module holds plain functions and constants only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

Headers = dict[str, str]
Login = Callable[[str], Awaitable[Headers]]
MakeChat = Callable[..., Awaitable[str]]

API = "/api/v1"
STEP = timedelta(seconds=1)
# Far enough apart that REST change summaries are never merged (tags.md §6: < 2 s).
APART = timedelta(seconds=5)
SUMMARY_FIELDS = {
    "id",
    "workspace_id",
    "type",
    "title",
    "is_public",
    "created_by",
    "created_at",
    "updated_at",
    "last_message_at",
    "participant_count",
    "my_role",
    "status",
    "category",
    "priority",
    "severity",
    "assignee_id",
    "assignee",
    "due_date",
    "is_overdue",
    "version",
    "unread_count",
    "last_read_message_id",
    "mention_count",
}


def case_id(*values: object) -> str:
    """A short readable name for one case of a table."""
    return " ".join(repr(value)[:48] for value in values)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def assert_problem_code(
    response: httpx.Response, status: int, code: str, field: str | None = None
) -> None:
    """The status, the problem's `code` and, when given, a `field` among its errors."""
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["code"] == code
    if field is not None:
        assert field in [error["field"] for error in problem["errors"]], problem


def assert_problem(
    response: httpx.Response, status: int, code: str, field: str | None = None
) -> None:
    """As assert_problem_code, and the body is `application/problem+json`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert_problem_code(response, status, code, field)


async def ok(response: Awaitable[httpx.Response]) -> Any:
    answered = await response
    assert answered.is_success, answered.text
    return answered.json() if answered.content else None


def chats_url(workspace_id: str) -> str:
    return f"{API}/workspaces/{workspace_id}/chats"


def chat_url(workspace_id: str, chat_id: str) -> str:
    return f"{API}/workspaces/{workspace_id}/chats/{chat_id}"


def messages_url(workspace_id: str, chat_id: str) -> str:
    return f"{API}/workspaces/{workspace_id}/chats/{chat_id}/messages"


async def titles(
    client: httpx.AsyncClient, headers: Headers, workspace_id: str, **params: Any
) -> list[str]:
    listed = await ok(client.get(chats_url(workspace_id), params=params, headers=headers))
    return [chat["title"] for chat in listed["items"]]


async def summaries(client: httpx.AsyncClient, headers: Headers, url: str) -> list[str]:
    """The system messages of the chat at `url`, oldest first."""
    listed = await ok(client.get(f"{url}/messages", params={"limit": 100}, headers=headers))
    return [m["content"] for m in reversed(listed["items"]) if m["type"] == "system"]


async def send(
    client: httpx.AsyncClient, url: str, headers: Headers, content: str, **fields: Any
) -> dict[str, Any]:
    """POSTs a message to the messages `url`; the created message."""
    response = await client.post(url, json={"content": content, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
