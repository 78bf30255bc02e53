"""WebSocket tickets: the store entry behind them and `POST /api/v1/ws/ticket`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from tests.unit.app_pool import AppBuilder

from flowra_core.memory.ephemeral import InMemoryEphemeralStore
from flowra_core.testing.clock import FixedClock, SeededTokens
from flowra_entrypoints.container import build_container
from flowra_entrypoints.settings import load_settings
from flowra_entrypoints.ws.tickets import TicketBook, TicketHolder


class TestTicketBook:
    async def test_keeps_the_ticket_under_its_key_for_the_ttl(self) -> None:
        clock = FixedClock()
        store = InMemoryEphemeralStore(clock)
        book = TicketBook(store, SeededTokens(1), ttl_seconds=30)
        issued = await book.issue("user-1")
        assert issued.expires_in == 30
        assert await store.get(f"flowra:wsticket:{issued.ticket}") is not None
        clock.advance(timedelta(seconds=30))
        assert await book.redeem(issued.ticket) is None

    async def test_redeems_once_for_its_user(self) -> None:
        book = TicketBook(InMemoryEphemeralStore(FixedClock()), SeededTokens(1), ttl_seconds=30)
        issued = await book.issue("user-1")
        assert await book.redeem(issued.ticket) == TicketHolder("user-1")
        assert await book.redeem(issued.ticket) is None

    async def test_records_the_browser_session_it_was_issued_to(self) -> None:
        book = TicketBook(InMemoryEphemeralStore(FixedClock()), SeededTokens(1), ttl_seconds=30)
        issued = await book.issue("user-1", session_id="session-9")
        holder = await book.redeem(issued.ticket)
        assert holder == TicketHolder("user-1", session_id="session-9")

    async def test_reads_a_ticket_stored_before_sessions_were_recorded(self) -> None:
        store = InMemoryEphemeralStore(FixedClock())
        book = TicketBook(store, SeededTokens(1), ttl_seconds=30)
        await store.put("flowra:wsticket:old", b'{"user_id": "user-1"}', 30)
        assert await book.redeem("old") == TicketHolder("user-1", session_id=None)


@pytest.fixture
async def http(tmp_path: Path, build_app: AppBuilder) -> AsyncIterator[httpx.AsyncClient]:
    config = tmp_path / "config.yaml"
    config.write_text("log:\n  format: text\nwebsocket:\n  ticket_ttl: 45s\n")
    app = build_app(build_container(load_settings(str(config), environ={}).settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://flowra.test") as client:
        yield client


class TestTicketRoute:
    async def test_issues_a_ticket_to_an_authenticated_caller(
        self, http: httpx.AsyncClient
    ) -> None:
        login = await http.post("/api/v1/auth/dev/token", json={"username": "alice"})
        token = login.json()["access_token"]
        response = await http.post(
            "/api/v1/ws/ticket", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"ticket", "expires_in"}
        assert body["expires_in"] == 45
        assert len(body["ticket"]) >= 32

    async def test_refuses_an_anonymous_caller(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/api/v1/ws/ticket")
        assert response.status_code == 401
        assert response.json()["code"] == "UNAUTHENTICATED"
