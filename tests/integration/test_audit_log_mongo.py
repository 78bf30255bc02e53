"""The audit log on FerretDB: the Mongo adapter answers like the in-memory one (filters, time
window, keyset pages, prune), and `flowra-migrator audit-prune` applies `audit.retention`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from flowra_adapters.mongo.audit import MongoAuditLog
from flowra_adapters.mongo.migrations import m0008_governance
from flowra_core.domain.audit import AuditAction, AuditEntry, AuditOutcome
from flowra_core.memory.audit import InMemoryAuditLog
from flowra_core.ports.audit import AuditFilter, AuditLog

from .contracts.backends import fresh_mongo_database
from .test_mongo_migrator import Document, Migrator

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def entry(
    number: int,
    *,
    workspace: str = "w1",
    actor: str = "u1",
    action: AuditAction = AuditAction.MEMBER_ADDED,
) -> AuditEntry:
    return AuditEntry(
        id=f"e{number:03d}",
        at=T0 + timedelta(minutes=number),
        action=action,
        outcome=AuditOutcome.SUCCESS,
        actor_id=actor,
        workspace_id=workspace,
        target_type="user",
        target_id="u9",
        request_id=f"r{number}",
        ip="127.0.0.1",
        user_agent="pytest",
        status=200,
    )


@pytest.fixture(params=["memory", "mongo"])
async def log(request: pytest.FixtureRequest, mongodb_uri: str) -> AsyncIterator[AuditLog]:
    if request.param == "memory":
        yield InMemoryAuditLog()
        return
    async with fresh_mongo_database(mongodb_uri) as database:
        await m0008_governance.MIGRATION.apply(database, T0)
        yield MongoAuditLog(database)


async def ids(
    log: AuditLog, where: AuditFilter, after: tuple[datetime, str] | None = None, limit: int = 100
) -> list[str]:
    return [row.id for row in await log.find(where, after=after, limit=limit)]


async def test_filters_windows_and_pages(log: AuditLog) -> None:
    await log.append(entry(1))
    await log.append(entry(2, actor="u2"))
    await log.append(entry(3, action=AuditAction.CHAT_DELETED))
    await log.append(entry(4, workspace="w2"))
    assert await ids(log, AuditFilter(workspace_id="w1")) == ["e003", "e002", "e001"]
    assert await ids(log, AuditFilter(workspace_id=None)) == ["e004", "e003", "e002", "e001"]
    assert await ids(log, AuditFilter(workspace_id="w1", actor_id="u2")) == ["e002"]
    assert await ids(log, AuditFilter(workspace_id="w1", action=AuditAction.CHAT_DELETED)) == [
        "e003"
    ]
    window = AuditFilter(
        workspace_id=None, since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=4)
    )
    assert await ids(log, window) == ["e003", "e002"]
    after = (T0 + timedelta(minutes=3), "e003")
    assert await ids(log, AuditFilter(workspace_id="w1"), after=after, limit=1) == ["e002"]
    stored = (await log.find(AuditFilter(workspace_id="w2"), after=None, limit=1))[0]
    assert stored == entry(4, workspace="w2")


async def test_prune_deletes_only_older_entries(log: AuditLog) -> None:
    for number in range(1, 5):
        await log.append(entry(number))
    assert await log.prune(T0 + timedelta(minutes=3)) == 2
    assert await ids(log, AuditFilter(workspace_id=None)) == ["e004", "e003"]


@pytest.fixture
def db(mongodb_uri: str) -> Iterator[Database[Document]]:
    client: MongoClient[Document] = MongoClient(mongodb_uri, serverSelectionTimeoutMS=5000)
    name = f"flowra_audit_{uuid.uuid4().hex[:12]}"
    try:
        yield client[name]
    finally:
        client.drop_database(name)
        client.close()


def test_audit_prune_applies_the_retention(
    mongodb_uri: str, db: Database[Document], tmp_path: Path
) -> None:
    migrator = Migrator(mongodb_uri, db.name, tmp_path)
    assert migrator("up").returncode == 0
    now = datetime.now(UTC)
    db["audit_log"].insert_many(
        [
            {"_id": "old", "at": now - timedelta(days=40), "action": "chat.deleted"},
            {"_id": "new", "at": now - timedelta(days=10), "action": "chat.deleted"},
        ]
    )
    result = migrator("audit-prune", FLOWRA_AUDIT_RETENTION="30d")
    assert result.returncode == 0, result.stderr
    assert "pruned 1 audit entries" in result.stdout
    assert [doc["_id"] for doc in db["audit_log"].find()] == ["new"]
