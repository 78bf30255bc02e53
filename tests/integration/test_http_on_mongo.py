"""`flowra-api` as a process on `storage.backend=mongo`: it refuses to start while migrations
are pending (unless `--migrate`), and keeps everything across a restart."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from flowra_adapters.mongo.migrations import MIGRATIONS

from .contracts.mongo_api import ApiProcess, Client, contents

pytestmark = pytest.mark.integration

Document = dict[str, Any]


@pytest.fixture
def database_name(mongodb_uri: str) -> Iterator[str]:
    name = f"flowra_api_{uuid.uuid4().hex[:12]}"
    yield name
    with MongoClient[Document](mongodb_uri, serverSelectionTimeoutMS=5000) as client:
        client.drop_database(name)


@pytest.fixture
def api(tmp_path: Path, mongodb_uri: str, database_name: str) -> Iterator[ApiProcess]:
    process = ApiProcess(tmp_path, mongodb_uri, database_name)
    try:
        yield process
    finally:
        process.kill()


class TestMigrationsAtStart:
    def test_pending_migrations_stop_it_with_exit_3_and_one_clear_line(
        self, api: ApiProcess, mongodb_uri: str, database_name: str
    ) -> None:
        result = api.run_to_exit()

        assert result.returncode == 3, result.stderr
        [line] = [text for text in result.stderr.splitlines() if text.startswith("flowra-api:")]
        versions = ", ".join(migration.version for migration in MIGRATIONS)
        assert f"{len(MIGRATIONS)} migration(s) pending ({versions})" in line
        assert "flowra-migrator up" in line
        with MongoClient[Document](mongodb_uri, serverSelectionTimeoutMS=5000) as client:
            assert client[database_name]["migrations"].count_documents({}) == 0

    def test_migrate_applies_them_and_ready_reports_none_pending(self, api: ApiProcess) -> None:
        api.start("--migrate")

        ready = httpx.get(f"{api.url}/ready", timeout=10.0)
        details = httpx.get(f"{api.url}/health/details", timeout=10.0).json()

        assert ready.status_code == 200, ready.text
        assert ready.json()["components"]["migrations"]["status"] == "healthy"
        assert ready.json()["components"]["mongodb"]["status"] == "healthy"
        assert details["components"]["storage"]["backend"] == "mongo"
        assert details["components"]["storage"]["status"] == "healthy"
        for backlog in ("event_relay", "projections", "dispatch", "repair_queue"):
            assert details["components"][backlog]["backend"] == "mongo", backlog
        assert details["components"]["websocket"] == {"status": "healthy", "connections": 0}
        assert api.stop() == 0


class TestRestart:
    def test_messages_and_work_items_survive_a_restart(self, api: ApiProcess) -> None:
        api.start("--migrate")
        with Client(api.url) as client:
            before, ids = self.make_data(client)
        assert api.stop() == 0

        api.start()
        with Client(api.url) as again:
            again.login("olga")
            again.login("max")
            task_id, messages, chats, max_id = ids
            task_after = again.ok("GET", f"{chats}/{task_id}", "olga")
            after = again.ok("GET", messages, "olga")
            inbox = again.ok("GET", "/notifications", "max")

        assert (task_after["status"], task_after["priority"]) == ("In Progress", "High")
        assert task_after["assignee_id"] == max_id
        assert after == before
        assert "First things first" in contents(before)
        assert any(item["type"] == "task.assigned" for item in inbox["items"])
        assert api.stop() == 0

    @staticmethod
    def make_data(client: Client) -> tuple[Any, tuple[str, str, str, str]]:
        client.login("olga")
        max_id = client.login("max")
        workspace = client.ok("POST", "/workspaces", "olga", {"name": "Acme"})["id"]
        client.ok("POST", f"/workspaces/{workspace}/members", "olga", {"username": "max"})
        chats = f"/workspaces/{workspace}/chats"
        task = {"type": "task", "title": "Ship it", "participant_ids": [max_id]}
        task_id = client.ok("POST", chats, "olga", task)["id"]
        messages = f"{chats}/{task_id}/messages"
        client.ok("POST", messages, "olga", {"content": "First things first"})
        client.ok("POST", messages, "max", {"content": "#status In Progress\n#priority high"})
        client.ok("PATCH", f"{chats}/{task_id}", "olga", {"assignee_id": max_id})
        return client.ok("GET", messages, "olga"), (task_id, messages, chats, max_id)
