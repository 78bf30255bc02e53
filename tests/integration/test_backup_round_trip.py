"""Backup and restore on FerretDB: a workspace with chats, tags, reactions, uploads, read
markers, notifications, API tokens and audit entries is exported with `flowra-migrator export`,
imported into a fresh database with `flowra-migrator import`, and every API read of the restored
instance equals the original's; a WebSocket resume from an event id seen before the export
replays what followed it; the imported API token still authenticates."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pymongo import MongoClient

from flowra_adapters.mongo.migrations import MIGRATIONS
from flowra_entrypoints.container import build_container, resolve_gateway
from flowra_entrypoints.http.app import create_app
from flowra_entrypoints.settings import load_settings
from flowra_entrypoints.ws.server_options import websocket_server_options

from .test_mongo_migrator import MIGRATOR, RUN_TIMEOUT_S, Document
from .test_ws_gateway import WAIT, Api, GatewayFirstServer, client

pytestmark = pytest.mark.integration

EMOJI = "%F0%9F%91%8D"  # 👍


class Side:
    """One database with its uploads directory, and the migrator run against them."""

    def __init__(self, uri: str, root: Path, name: str) -> None:
        self.uri = uri
        self.database = f"flowra_backup_{name}_{uuid.uuid4().hex[:10]}"
        self.uploads = root / f"uploads-{name}"
        self.workdir = root / f"work-{name}"
        self.workdir.mkdir()

    def config(self) -> str:
        return (
            "log:\n  level: warn\n  format: text\nwebsocket:\n  presence_grace: 0s\n"
            f"storage:\n  backend: mongo\nmongodb:\n  uri: {self.uri}\n"
            f"  database: {self.database}\nuploads:\n  dir: {self.uploads}\n"
            "webhooks:\n  allowed_hosts: [hooks.example]\n"
        )

    @asynccontextmanager
    async def api(self) -> AsyncIterator[Api]:
        """A real uvicorn on a free port serving this side's database."""
        config = self.workdir / "config.yaml"
        config.write_text(self.config())
        settings = load_settings(str(config), environ={}).settings
        container = build_container(settings)
        app = create_app(container)
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        port: int = listener.getsockname()[1]
        server = GatewayFirstServer(
            uvicorn.Config(
                app,
                lifespan="on",
                log_config=None,
                access_log=False,
                **websocket_server_options(settings.websocket),
            ),
            await resolve_gateway(container),
        )
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        try:
            async with asyncio.timeout(WAIT * 2):
                await server.ready.wait()
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                yield Api(port, http)
        finally:
            server.should_exit = True
            await serving

    def migrator(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": "/usr/bin:/bin",
            "FLOWRA_STORAGE_BACKEND": "mongo",
            "FLOWRA_MONGODB_URI": self.uri,
            "FLOWRA_MONGODB_DATABASE": self.database,
            "FLOWRA_MONGODB_TIMEOUT": "5s",
            "FLOWRA_UPLOADS_DIR": str(self.uploads),
            "FLOWRA_LOG_FORMAT": "text",
        }
        return subprocess.run(
            [MIGRATOR, *args],
            env=env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S * 2,
            check=False,
        )


@pytest.fixture
def sides(mongodb_uri: str, tmp_path: Path) -> Iterator[tuple[Side, Side]]:
    source, target = Side(mongodb_uri, tmp_path, "src"), Side(mongodb_uri, tmp_path, "dst")
    yield source, target
    with MongoClient[Document](mongodb_uri, serverSelectionTimeoutMS=5000) as mongo:
        mongo.drop_database(source.database)
        mongo.drop_database(target.database)


class World:
    """The ids and tokens the build step made, and the reads to compare."""

    def __init__(self) -> None:
        self.workspace_id = ""
        self.chat_ids: list[str] = []
        self.file_id = ""
        self.secret = ""
        self.last_event_id = ""

    async def reads(self, api: Api) -> dict[str, Any]:
        olga, mia = await api.token("olga"), await api.token("mia")
        ws = f"/api/v1/workspaces/{self.workspace_id}"
        paths: list[tuple[str, str]] = [
            (olga, "/api/v1/workspaces"),
            (olga, ws),
            (olga, f"{ws}/members"),
            (olga, f"{ws}/invites"),
            (olga, f"{ws}/chats"),
            (mia, f"{ws}/chats"),
            (olga, f"{ws}/tasks"),
            (olga, f"{ws}/search?q=hello"),
            (mia, "/api/v1/notifications"),
            (mia, "/api/v1/notifications/unread-count"),
            (olga, "/api/v1/tokens"),
            (olga, f"{ws}/bots"),
            (olga, f"{ws}/webhooks"),
        ]
        for chat_id in self.chat_ids:
            chat = f"{ws}/chats/{chat_id}"
            paths += [
                (olga, chat),
                (mia, chat),
                (olga, f"{chat}/messages"),
                (olga, f"{chat}/participants"),
            ]
        answers: dict[str, Any] = {}
        for token, path in paths:
            response = await api.http.get(path, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, (path, response.text)
            answers[f"{token == mia}:{path}"] = response.json()
        download = await api.http.get(
            f"/api/v1/files/{self.file_id}", headers={"Authorization": f"Bearer {olga}"}
        )
        assert download.status_code == 200
        answers["file"] = download.content.decode()
        return answers


async def build(api: Api) -> World:
    world = World()
    olga, mia = await api.token("olga"), await api.token("mia")
    workspace = await api.call(olga, "POST", "/api/v1/workspaces", {"name": "Acme"})
    world.workspace_id = workspace["id"]
    ws = f"/api/v1/workspaces/{workspace['id']}"
    await api.call(olga, "POST", f"{ws}/members", {"username": "mia"})
    mia_id = (await api.call(mia, "GET", "/api/v1/users/me"))["id"]
    talk = await api.call(
        olga, "POST", f"{ws}/chats", {"title": "Talk", "participant_ids": [mia_id]}
    )
    task = await api.call(
        olga,
        "POST",
        f"{ws}/chats",
        {"title": "Fix login", "type": "task", "participant_ids": [mia_id]},
    )
    world.chat_ids = [talk["id"], task["id"]]
    talk_messages = f"{ws}/chats/{talk['id']}/messages"
    async with client(api, mia) as watcher:
        await watcher.subscribe(talk["id"])
        first = await api.call(olga, "POST", talk_messages, {"content": "hello @mia"})
        world.last_event_id = (await watcher.expect("message.created"))["event_id"]
    await api.call(olga, "POST", talk_messages, {"content": "after the mark"})
    await api.call(mia, "PUT", f"{talk_messages}/{first['id']}/reactions/{EMOJI}")
    await api.call(
        olga,
        "POST",
        f"{ws}/chats/{task['id']}/messages",
        {"content": "#status In Progress\n#priority high"},
    )
    upload = await api.http.post(
        f"{ws}/chats/{talk['id']}/files",
        files={"file": ("notes.txt", b"the file's bytes", "text/plain")},
        headers={"Authorization": f"Bearer {olga}"},
    )
    assert upload.status_code == 201, upload.text
    world.file_id = upload.json()["id"]
    await api.call(mia, "POST", f"{ws}/chats/{talk['id']}/read", {"message_id": first["id"]})
    await api.call(olga, "POST", f"{ws}/invites", {"role": "member"})
    await api.call(olga, "POST", f"{ws}/bots", {"name": "CI"})
    hook = {"url": "https://hooks.example/in", "events": ["message.created"]}
    await api.call(olga, "POST", f"{ws}/webhooks", hook)
    created = await api.call(olga, "POST", "/api/v1/tokens", {"name": "ci", "scopes": ["read"]})
    world.secret = created["secret"]
    return world


async def test_export_then_import_into_a_fresh_database_reads_the_same(
    sides: tuple[Side, Side], tmp_path: Path
) -> None:
    source, target = sides
    assert source.migrator("up").returncode == 0
    async with source.api() as api:
        world = await build(api)
        before = await world.reads(api)
    # What is compared holds what was built: the reaction, the bot's reply, the unread count.
    ws = f"/api/v1/workspaces/{world.workspace_id}"
    talk = before[f"False:{ws}/chats/{world.chat_ids[0]}/messages"]["items"]
    assert any(message["reactions"] for message in talk)
    task = before[f"False:{ws}/chats/{world.chat_ids[1]}/messages"]["items"]
    assert any(message["type"] == "bot" for message in task)
    assert before["True:/api/v1/notifications"]["items"]
    assert before["file"] == "the file's bytes"

    out = tmp_path / "export"
    exported = source.migrator("export", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["schema_version"] == MIGRATIONS[-1].version
    assert manifest["collections"]["api_tokens"]["count"] == 1
    assert manifest["collections"]["webhook_endpoints"]["count"] == 1
    assert manifest["uploads"]["files"] == 1
    assert "exporting commits" in exported.stderr  # the progress bar

    imported = target.migrator("import", "--from", str(out))
    assert imported.returncode == 0, imported.stderr
    assert "rebuilt every projection" in imported.stdout

    async with target.api() as api:
        after = await world.reads(api)
        assert after == before
        mia = await api.token("mia")
        async with client(api, mia) as resumed:
            ack = await resumed.subscribe(world.chat_ids[0], last_event_id=world.last_event_id)
            assert ack["replayed"] >= 2  # "after the mark" and the upload's message, at least
            replayed = await resumed.expect("message.created")
            assert replayed["data"]["content"] == "after the mark"
        me = await api.http.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {world.secret}"}
        )
        assert me.status_code == 200


async def test_import_refuses_a_target_with_data_or_a_newer_schema(
    sides: tuple[Side, Side], tmp_path: Path
) -> None:
    source, target = sides
    assert source.migrator("up").returncode == 0
    out = tmp_path / "export"
    assert source.migrator("export", "--out", str(out)).returncode == 0

    with MongoClient[Document](target.uri, serverSelectionTimeoutMS=5000) as mongo:
        mongo[target.database]["commits"].insert_one({"_id": "someone's data"})
        refused = target.migrator("import", "--from", str(out))
        assert refused.returncode == 1
        assert "holds data (commits)" in refused.stderr
        mongo[target.database]["commits"].delete_many({})

        manifest = json.loads((out / "manifest.json").read_text())
        manifest["schema_version"] = "9999"
        (out / "manifest.json").write_text(json.dumps(manifest))
        refused = target.migrator("import", "--from", str(out))
        assert refused.returncode == 1
        assert "newer than this flowra's" in refused.stderr
        assert mongo[target.database].list_collection_names() == ["commits"]


async def test_import_refuses_a_tampered_file(sides: tuple[Side, Side], tmp_path: Path) -> None:
    source, target = sides
    assert source.migrator("up").returncode == 0
    out = tmp_path / "export"
    assert source.migrator("export", "--out", str(out)).returncode == 0
    with (out / "users.jsonl").open("a") as users:
        users.write('{"_id": "intruder"}\n')
    refused = target.migrator("import", "--from", str(out))
    assert refused.returncode == 1
    assert "checksum differs (users)" in refused.stderr
    again = source.migrator("export", "--out", str(out))
    assert again.returncode == 1
    assert "is not empty" in again.stderr
