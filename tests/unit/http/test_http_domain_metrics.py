"""/metrics counts the core's work (operations.md §8): committed events by type, tag outcomes,
notifications by type (concurrency conflicts: tests/unit/core/test_write_path.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from .http_kit import Headers, messages_url

Login = Callable[[str], Awaitable[Headers]]


def _sample(text: str, name: str, **labels: str) -> float:
    """The sample's value in a Prometheus exposition; 0 when the series does not exist yet."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


async def test_commits_tags_and_notifications_are_counted(
    client: httpx.AsyncClient,
    login: Login,
    workspace_id: str,
    task_id: str,
) -> None:
    max_ = await login("max")
    before = (await client.get("/metrics")).text
    sent = await client.post(
        messages_url(workspace_id, task_id),
        json={"content": "#priority High\n#status Bogus #nonsense x\n#assignee @mia"},
        headers=max_,
    )
    assert sent.status_code == 201, sent.text

    after = (await client.get("/metrics")).text

    def moved(name: str, **labels: str) -> float:
        return _sample(after, name, **labels) - _sample(before, name, **labels)

    tags = "flowra_tags_executed_total"
    assert moved(tags, tag="priority", outcome="applied") == 1
    assert moved(tags, tag="status", outcome="failed") == 1
    assert moved(tags, tag="unknown", outcome="failed") == 1
    assert moved(tags, tag="assignee", outcome="applied") == 1
    committed = "flowra_events_committed_total"
    assert moved(committed, type="message.created") == 2  # the message and the bot's reply
    assert moved(committed, type="chat.priority_set") == 1
    assert moved("flowra_notifications_created_total", type="task.assigned") == 1
    # Published by the `live` reaction right after each commit (the sweep's path is "relay").
    published = "flowra_events_published_total"
    assert moved(published, type="message.created", path="direct") == 2
    assert moved(published, type="chat.priority_set", path="direct") == 1
    assert moved(published, type="message.created", path="relay") == 0
