"""`flowra-api` on MongoDB rides out a database outage: 503 problems within the configured
timeout and `/ready` not ready while the server is gone, then serving again once it is back,
without a restart.

The test stops and restarts a FerretDB of its own (a second process of the binary
`scripts/services.sh` builds, on a free port and a temporary data directory), never the
shared one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .contracts.mongo_api import (
    MONGODB_TIMEOUT_S,
    ApiProcess,
    Client,
    FerretDB,
    contents,
    until,
)

pytestmark = pytest.mark.integration

# The configured timeout plus room for a loaded machine.
OUTAGE_DEADLINE_S = MONGODB_TIMEOUT_S + 4.0
RECOVERY_DEADLINE_S = 30.0
Document = dict[str, Any]


@pytest.fixture
def own_ferretdb(tmp_path: Path) -> Iterator[FerretDB]:
    server = FerretDB(tmp_path / "ferretdb")
    server.start()
    try:
        yield server
    finally:
        server.kill()


class TestOutage:
    def test_503_while_the_database_is_gone_then_serving_again_without_restart(
        self, own_ferretdb: FerretDB, tmp_path: Path
    ) -> None:
        api = ApiProcess(tmp_path, own_ferretdb.uri, "flowra_outage")
        api.start("--migrate")
        try:
            with Client(api.url) as client:
                self.ride_out(api, own_ferretdb, client)
            assert api.stop() == 0
        finally:
            api.kill()

    @staticmethod
    def ride_out(api: ApiProcess, own_ferretdb: FerretDB, client: Client) -> None:
        client.login("olga")
        workspace = client.ok("POST", "/workspaces", "olga", {"name": "Acme"})["id"]
        chat = client.ok("POST", f"/workspaces/{workspace}/chats", "olga", {"title": "Ops"})
        messages = f"/workspaces/{workspace}/chats/{chat['id']}/messages"
        client.ok("POST", messages, "olga", {"content": "before the outage"})

        own_ferretdb.stop()
        started = time.monotonic()
        refused = client.call("POST", messages, "olga", {"content": "during the outage"})
        elapsed = time.monotonic() - started
        ready = httpx.get(f"{api.url}/ready", timeout=10.0)

        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "SERVICE_UNAVAILABLE"
        assert elapsed < OUTAGE_DEADLINE_S
        assert ready.status_code == 503
        assert ready.json()["components"]["mongodb"]["status"] == "unhealthy"

        own_ferretdb.start()

        def sent_again() -> bool:
            body = {"content": "after the outage"}
            return client.call("POST", messages, "olga", body).status_code == 201

        until(sent_again, timeout=RECOVERY_DEADLINE_S, what="a message accepted again")
        assert httpx.get(f"{api.url}/ready", timeout=10.0).status_code == 200
        assert contents(client.ok("GET", messages, "olga")) == [
            "after the outage",
            "before the outage",
        ]
