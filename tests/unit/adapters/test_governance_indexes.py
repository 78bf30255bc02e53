"""Every query of the token, bot and audit adapters is served by an index of migration 0008:
its equality fields lead the index (extra equalities may filter inside the range) and the
sort follows, so no query scans a collection."""

from __future__ import annotations

import itertools

import pytest
from pymongo import ASCENDING, DESCENDING
from tests.unit.http.http_kit import case_id

from flowra_adapters.mongo import names
from flowra_adapters.mongo.audit import _NEWEST_FIRST as AUDIT_ORDER
from flowra_adapters.mongo.audit import _query
from flowra_adapters.mongo.migrations.m0008_governance import COLLECTIONS
from flowra_adapters.mongo.tokens import _NEWEST_FIRST as TOKEN_ORDER
from flowra_adapters.mongo.tokens import _OLDEST_FIRST as BOT_ORDER
from flowra_adapters.mongo.webhooks import LOG_ORDER as WEBHOOK_LOG_ORDER
from flowra_core.domain.audit import AuditAction
from flowra_core.ports.audit import AuditFilter

Keys = tuple[tuple[str, int], ...]


def served(collection: str, equalities: set[str], sort: Keys) -> bool:
    for index in COLLECTIONS[collection]:
        keys = index.keys
        lead = keys[: len(keys) - len(sort)]
        if tuple(keys[len(lead) :]) == sort and {field for field, _ in lead} <= equalities:
            return True
    return False


def equality_fields(query: dict[str, object]) -> set[str]:
    parts = query.get("$and", [query])
    assert isinstance(parts, list)
    return {
        key
        for part in parts
        for key, value in part.items()
        if not key.startswith("$") and not isinstance(value, dict)
    }


FILTERS = [
    AuditFilter(workspace_id=ws, actor_id=actor, action=action)
    for ws, actor, action in itertools.product(
        ("w1", None), ("u1", None), (AuditAction.CHAT_DELETED, None)
    )
]


@pytest.mark.parametrize("where", FILTERS, ids=[case_id(f) for f in FILTERS])
def test_every_audit_filter_has_an_index(where: AuditFilter) -> None:
    query = _query(where)
    assert served(names.AUDIT_LOG, equality_fields(query), tuple(AUDIT_ORDER)), query


def test_the_retention_delete_ranges_over_an_index_led_by_at() -> None:
    assert any(index.keys[0] == ("at", DESCENDING) for index in COLLECTIONS[names.AUDIT_LOG])


def test_webhook_queries_have_their_indexes() -> None:
    deliveries = names.WEBHOOK_DELIVERIES
    due_order = (("next_attempt_at", ASCENDING), ("position", ASCENDING))
    assert served(deliveries, {"status"}, due_order)
    earlier = {"endpoint_id", "order_key", "status"}
    assert served(deliveries, earlier, (("position", ASCENDING),))
    assert served(deliveries, {"endpoint_id"}, tuple(WEBHOOK_LOG_ORDER))
    assert served(deliveries, {"status"}, (("created_at", ASCENDING),))  # retention
    assert served(names.WEBHOOK_ENDPOINTS, {"workspace_id", "deleted"}, ())


def test_token_and_bot_lists_have_their_indexes() -> None:
    assert served(names.API_TOKENS, {"user_id"}, tuple(TOKEN_ORDER))
    assert served(names.BOTS, {"workspace_id"}, tuple(BOT_ORDER))
    assert TOKEN_ORDER[0] == ("created_at", DESCENDING)
    assert BOT_ORDER[0] == ("created_at", ASCENDING)
