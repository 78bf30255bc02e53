"""`flowra-migrator` as operators run it: the console script in a subprocess against a fresh
random database, checked through the database and the exit codes of operations.md §1/§6."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from flowra_adapters.mongo.migrations import MIGRATIONS, m0003_read_models
from flowra_adapters.mongo.migrations.m0001_collections import COLLECTIONS
from flowra_adapters.mongo.migrations.m0005_reaction_work import RETIRED_COMMIT_INDEXES
from flowra_core.app.delivery.table import REACTION_NAMES
from flowra_core.domain.user.bot import FLOWRA_BOT_ID

pytestmark = pytest.mark.integration

ALL_VERSIONS = [migration.version for migration in MIGRATIONS]


def steps_down_to(version: str) -> str:
    """`--steps` that reverts every migration after `version` and `version` itself."""
    return str(sum(1 for migration in MIGRATIONS if migration.version >= version))


MIGRATOR = str(Path(sys.executable).with_name("flowra-migrator"))
RUN_TIMEOUT_S = 60
PRODUCTION = {
    "FLOWRA_ENV": "production",
    "FLOWRA_AUTH_JWT_SECRET": "a-production-secret-of-at-least-32-bytes!",
    "FLOWRA_EVENTBUS_TYPE": "redis",
    "FLOWRA_AUTH_PROVIDER": "keycloak",
    "FLOWRA_KEYCLOAK_CLIENT_SECRET": "a-real-client-secret",
    "FLOWRA_KEYCLOAK_ADMIN_PASSWORD": "a-real-admin-password",
    "FLOWRA_SERVER_PUBLIC_URL": "https://flowra.example",
}
Document = dict[str, Any]


class Migrator:
    """Runs the console script against one database, from an empty working directory."""

    def __init__(self, uri: str, database: str, workdir: Path) -> None:
        self.uri = uri
        self.database = database
        self.workdir = workdir

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("FLOWRA_")}
        settings = {
            "FLOWRA_STORAGE_BACKEND": "mongo",
            "FLOWRA_MONGODB_URI": self.uri,
            "FLOWRA_MONGODB_DATABASE": self.database,
            "FLOWRA_MONGODB_TIMEOUT": "5s",
            "FLOWRA_AUTH_JWT_SECRET": "test-secret-that-is-long-enough-for-hs256",
            "FLOWRA_LOG_FORMAT": "text",
        }
        return subprocess.run(
            [MIGRATOR, *args],
            env={**inherited, **settings, **env},
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )


@pytest.fixture
def db(mongodb_uri: str) -> Iterator[Database[Document]]:
    client: MongoClient[Document] = MongoClient(
        mongodb_uri, serverSelectionTimeoutMS=5000, tz_aware=True
    )
    name = f"flowra_migrator_{uuid.uuid4().hex[:12]}"
    try:
        yield client[name]
    finally:
        client.drop_database(name)
        client.close()


@pytest.fixture
def migrator(mongodb_uri: str, db: Database[Document], tmp_path: Path) -> Migrator:
    return Migrator(mongodb_uri, db.name, tmp_path)


def records(db: Database[Document]) -> dict[str, Document]:
    return {record["_id"]: record for record in db["migrations"].find()}


def index_names(db: Database[Document], collection: str) -> set[str]:
    return set(db[collection].index_information())


def planned_indexes(collection: str) -> set[str]:
    """0001's indexes of the collection that the later migrations keep."""
    retired = RETIRED_COMMIT_INDEXES if collection == "commits" else frozenset()
    return {index.name for index in COLLECTIONS[collection]} - retired


class TestStatus:
    def test_a_new_database_has_every_migration_pending(self, migrator: Migrator) -> None:
        result = migrator("status")

        assert result.returncode == 3, result.stderr
        lines = [line for line in result.stdout.splitlines() if line[:4].isdigit()]
        assert [line.split()[0] for line in lines] == ALL_VERSIONS
        assert all(line.endswith("pending") for line in lines)

    def test_up_to_date_exits_0_and_shows_when_each_was_applied(self, migrator: Migrator) -> None:
        migrator("up")

        result = migrator("status")

        assert result.returncode == 0, result.stderr
        assert result.stdout.count(" applied 20") == len(MIGRATIONS)


class TestUp:
    def test_applies_every_migration_in_order_and_records_it(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        result = migrator("up")

        assert result.returncode == 0, result.stderr
        assert "applied 0001" in result.stdout
        assert result.stdout.index("applied 0001") < result.stdout.index("applied 0002")
        assert result.stdout.index("applied 0002") < result.stdout.index("applied 0003")
        assert result.stdout.index("applied 0003") < result.stdout.index("applied 0004")
        stored = records(db)
        assert list(stored) == ALL_VERSIONS
        for migration in MIGRATIONS:
            record = stored[migration.version]
            assert record["name"] == migration.name
            assert record["checksum"] == migration.checksum
            assert len(record["checksum"]) == 64
            assert isinstance(record["applied_at"], datetime)
            assert record["duration_ms"] >= 0

    def test_every_collection_and_index_of_0001_really_exists(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        migrator("up")

        assert set(COLLECTIONS) <= set(db.list_collection_names())
        for collection, indexes in COLLECTIONS.items():
            information = db[collection].index_information()
            for index in indexes:
                if index.name not in planned_indexes(collection):
                    assert index.name not in information, f"{collection}.{index.name} retired"
                    continue
                assert index.name in information, f"{collection}.{index.name} missing"
                assert bool(information[index.name].get("unique")) is index.unique
                assert [key for key, _ in information[index.name]["key"]] == list(index.keys)

    def test_every_collection_and_index_of_0003_really_exists_with_its_directions(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        migrator("up")

        assert set(m0003_read_models.COLLECTIONS) <= set(db.list_collection_names())
        for collection, indexes in m0003_read_models.COLLECTIONS.items():
            information = db[collection].index_information()
            for index in indexes:
                assert index.name in information, f"{collection}.{index.name} missing"
                stored = [
                    (key, int(direction)) for key, direction in information[index.name]["key"]
                ]
                assert stored == list(index.keys)

    def test_0002_creates_flowra_bot(self, migrator: Migrator, db: Database[Document]) -> None:
        migrator("up")

        bot = db["users"].find_one({"_id": FLOWRA_BOT_ID})

        assert bot is not None
        assert (bot["username"], bot["username_lower"], bot["version"]) == (
            "FlowraBot",
            "flowrabot",
            0,
        )

    def test_running_it_again_changes_nothing(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        migrator("up")
        before = records(db)
        bot_before = db["users"].find_one({"_id": FLOWRA_BOT_ID})

        result = migrator("up")

        assert result.returncode == 0, result.stderr
        assert "nothing to apply" in result.stdout
        assert records(db) == before
        assert db["users"].find_one({"_id": FLOWRA_BOT_ID}) == bot_before

    def test_to_stops_after_the_named_version(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        result = migrator("up", "--to", "0001")

        assert result.returncode == 0, result.stderr
        assert list(records(db)) == ["0001"]
        assert db["users"].count_documents({}) == 0
        assert migrator("status").returncode == 3

    def test_an_unknown_target_is_a_usage_error(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        result = migrator("up", "--to", "0999")

        assert result.returncode == 2
        assert "no migration '0999'" in result.stderr
        assert records(db) == {}


class TestDown:
    def test_reverts_the_last_migration_keeping_the_documents(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        migrator("up", "--to", "0001")
        db["workspaces"].insert_one({"_id": "w1", "name": "Acme"})

        result = migrator("down")

        assert result.returncode == 0, result.stderr
        assert "reverted 0001" in result.stdout
        assert records(db) == {}
        assert index_names(db, "commits") == {"_id_"}
        assert db["workspaces"].find_one({"_id": "w1"}) == {"_id": "w1", "name": "Acme"}
        assert migrator("up").returncode == 0
        assert planned_indexes("commits") <= index_names(db, "commits")

    def test_0003_reverts_dropping_its_indexes_only(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        migrator("up")
        db["search_entries"].insert_one({"_id": "m1", "tokens": ["kept"]})

        result = migrator("down", "--steps", steps_down_to("0003"))

        assert result.returncode == 0, result.stderr
        for version in ALL_VERSIONS[2:]:
            assert f"reverted {version}" in result.stdout
        assert list(records(db)) == ["0001", "0002"]
        assert index_names(db, "search_entries") == {"_id_"}
        assert planned_indexes("chats") <= index_names(db, "chats")
        assert db["search_entries"].find_one({"_id": "m1"}) == {"_id": "m1", "tokens": ["kept"]}
        assert migrator("up").returncode == 0
        assert list(records(db)) == ALL_VERSIONS

    def test_an_irreversible_migration_stops_it_before_any_change(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        migrator("up")
        before = records(db)

        result = migrator("down", "--steps", steps_down_to("0002"))

        assert result.returncode == 1
        assert "0002 (create Flowra Bot) is irreversible" in result.stderr
        assert records(db) == before
        assert planned_indexes("commits") <= index_names(db, "commits")

    def test_production_needs_the_explicit_flag(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        migrator("up", "--to", "0001")

        refused = migrator("down", **PRODUCTION)
        allowed = migrator("down", "--yes-i-know", **PRODUCTION)

        assert refused.returncode == 1
        assert "--yes-i-know" in refused.stderr
        assert allowed.returncode == 0, allowed.stderr
        assert records(db) == {}

    def test_nothing_applied_means_nothing_to_revert(self, migrator: Migrator) -> None:
        result = migrator("down")

        assert result.returncode == 0, result.stderr
        assert "nothing to revert" in result.stdout


class TestDispatchedMarkers:
    def test_0004_confirms_published_commits_and_leaves_unpublished_ones_to_the_sweep(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        migrator("up", "--to", "0003")
        published_at = datetime(2026, 1, 1, tzinfo=UTC)
        db["commits"].insert_many(
            [
                {"_id": "old", "published_at": published_at, "dispatched_at": None},
                {"_id": "unsent", "published_at": None, "dispatched_at": None},
                {"_id": "done", "published_at": published_at, "dispatched_at": published_at},
            ]
        )

        result = migrator("up")

        assert result.returncode == 0, result.stderr
        markers = {c["_id"]: c["dispatched_at"] for c in db["commits"].find()}
        assert markers["old"] is not None
        assert markers["old"] > published_at
        assert markers["unsent"] is None
        assert markers["done"] == published_at
        assert migrator("down").returncode == 0
        kept = {c["_id"]: c["dispatched_at"] for c in db["commits"].find()}
        assert kept == markers


class TestThreadStatsOnMessages:
    def test_0006_copies_the_stats_onto_the_parent_and_down_copies_them_back(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        migrator("up", "--to", "0005")
        last = datetime(2026, 1, 1, tzinfo=UTC)
        db["messages"].insert_many([{"_id": "m1", "chat_id": "c1"}, {"_id": "m2", "chat_id": "c1"}])
        stats = {"_id": "m1", "chat_id": "c1", "reply_count": 2, "last_reply_at": last}
        db["message_threads"].insert_one(stats)

        result = migrator("up")

        assert result.returncode == 0, result.stderr
        moved = {m["_id"]: m.get("thread") for m in db["messages"].find()}
        assert moved == {"m1": {"reply_count": 2, "last_reply_at": last}, "m2": None}
        db["message_threads"].delete_many({})
        assert migrator("down", "--steps", steps_down_to("0006")).returncode == 0
        assert list(db["message_threads"].find()) == [stats]


class TestSafety:
    def test_a_changed_checksum_of_an_applied_migration_fails(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        migrator("up", "--to", "0001")
        db["migrations"].update_one({"_id": "0001"}, {"$set": {"checksum": "0" * 64}})

        up = migrator("up")
        status = migrator("status")

        assert up.returncode == 1
        assert "checksum differs" in up.stderr
        assert list(records(db)) == ["0001"]
        assert status.returncode == 1
        assert "CHANGED" in status.stdout

    def test_a_held_lock_refuses_with_a_clear_error(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        until = datetime.now(UTC) + timedelta(hours=1)
        db["locks"].insert_one({"_id": "migrator", "owner": "deploy-7:4242", "expires_at": until})

        for command in ("up", "down", "status"):
            result = migrator(command)

            assert result.returncode == 1
            assert "'migrator' lock is held by deploy-7:4242" in result.stderr
        assert records(db) == {}

    def test_an_expired_lock_is_taken_over_and_released_after(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        expired = datetime.now(UTC) - timedelta(seconds=1)
        db["locks"].insert_one({"_id": "migrator", "owner": "crashed:1", "expires_at": expired})

        result = migrator("up")

        assert result.returncode == 0, result.stderr
        assert list(records(db)) == ALL_VERSIONS
        assert db["locks"].find_one({"_id": "migrator"}) is None

    def test_an_unreachable_database_fails_within_the_timeout(self, migrator: Migrator) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]

        result = migrator(
            "status",
            FLOWRA_MONGODB_URI=f"mongodb://127.0.0.1:{port}",
            FLOWRA_MONGODB_TIMEOUT="300ms",
        )

        assert result.returncode == 1
        assert "mongodb is unavailable" in result.stderr


class TestConfiguration:
    @pytest.mark.parametrize("command", [["up"], ["down"], ["status"]])
    def test_the_memory_backend_has_nothing_to_do(
        self, migrator: Migrator, db: Database[Document], command: list[str]
    ) -> None:
        result = migrator(*command, FLOWRA_STORAGE_BACKEND="memory")

        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().endswith("nothing to do (memory backend)")
        assert records(db) == {}

    def test_invalid_settings_exit_2_listing_each_problem(self, migrator: Migrator) -> None:
        result = migrator("status", FLOWRA_MONGODB_TIMEOUT="soon", FLOWRA_LOG_LEVEL="loud")

        assert result.returncode == 2
        problems = [line for line in result.stderr.splitlines() if "configuration error" in line]
        assert len(problems) == 2

    def test_a_missing_config_file_exits_2(self, migrator: Migrator) -> None:
        result = migrator("--config", "missing.yaml", "status")

        assert result.returncode == 2
        assert "missing.yaml" in result.stderr

    def test_the_config_file_is_read(self, migrator: Migrator, tmp_path: Path) -> None:
        config = tmp_path / "flowra.yaml"
        config.write_text("storage:\n  backend: memory\n")

        result = migrator("status", "--config", str(config), FLOWRA_STORAGE_BACKEND="")

        assert result.returncode == 0, result.stderr
        assert "nothing to do (memory backend)" in result.stdout


class TestReactionWorkList:
    def test_0005_owes_every_reaction_to_unfinished_commits_and_drops_the_marker_indexes(
        self, migrator: Migrator, db: Database[Document]
    ) -> None:
        migrator("up", "--to", "0004")
        at = datetime(2026, 1, 1, tzinfo=UTC)
        done = {"published_at": at, "projected_at": at, "dispatched_at": at}
        db["commits"].insert_many(
            [
                {"_id": "finished", "aggregate_id": "a", "recorded_at": at, **done},
                {"_id": "unsent", "aggregate_id": "b", "recorded_at": at, **done}
                | {"published_at": None},
                {"_id": "unprojected", "aggregate_id": "c", "recorded_at": at, **done}
                | {"projected_at": None},
            ]
        )

        result = migrator("up")

        assert result.returncode == 0, result.stderr
        tasks = {t["_id"]: t for t in db["reaction_work"].find()}
        assert sorted(tasks) == ["unprojected", "unsent"]
        assert tasks["unsent"]["remaining"] == list(REACTION_NAMES)
        assert (tasks["unsent"]["parked"], tasks["unsent"]["attempts"]) == (False, 0)
        indexes = set(db["commits"].index_information())
        assert not RETIRED_COMMIT_INDEXES & indexes
        assert "parked_1_due_at_1" in db["reaction_work"].index_information()

        reverted = migrator("down", "--steps", steps_down_to("0005"))

        assert reverted.returncode == 0, reverted.stderr
        assert "reaction_work" not in db.list_collection_names()
        assert set(db["commits"].index_information()) >= RETIRED_COMMIT_INDEXES
