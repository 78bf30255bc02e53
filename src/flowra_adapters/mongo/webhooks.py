"""Webhook endpoints (`webhook_endpoints`, `_id` = endpoint id) and deliveries
(`webhook_deliveries`, `_id` = "<endpoint id>:<event id>"), through the indexes of 0008."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from flowra_adapters.mongo.codec import convert, to_document_fields
from flowra_adapters.mongo.database import Document, MongoDatabase
from flowra_adapters.mongo.names import WEBHOOK_DELIVERIES, WEBHOOK_ENDPOINTS
from flowra_adapters.mongo.queries import SortSpec, combine, keyset_after
from flowra_core.domain.webhooks import (
    RETRY_FOR,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)

_DUE_ORDER: SortSpec = [("next_attempt_at", ASCENDING), ("position", ASCENDING)]
LOG_ORDER: SortSpec = [("created_at", DESCENDING), ("_id", DESCENDING)]


def _document(value: WebhookEndpoint | WebhookDelivery) -> Document:
    fields: Document = to_document_fields(value)
    fields["_id"] = fields.pop("id")
    return fields


def _fields(document: Document) -> Document:
    fields = {key: value for key, value in document.items() if key != "_id"}
    fields["id"] = document["_id"]
    return fields


class MongoWebhookStore:
    def __init__(self, database: MongoDatabase) -> None:
        self._db = database
        self._endpoints = database.collection(WEBHOOK_ENDPOINTS)
        self._deliveries = database.collection(WEBHOOK_DELIVERIES)

    async def save_endpoint(self, endpoint: WebhookEndpoint) -> None:
        document = _document(endpoint)
        with self._db.operation(WEBHOOK_ENDPOINTS, "save"):
            await self._endpoints.replace_one({"_id": endpoint.id}, document, upsert=True)

    async def endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        with self._db.operation(WEBHOOK_ENDPOINTS, "find"):
            found = await self._endpoints.find_one({"_id": endpoint_id})
        return None if found is None else _endpoint(found)

    async def endpoints_of(self, workspace_id: str) -> Sequence[WebhookEndpoint]:
        with self._db.operation(WEBHOOK_ENDPOINTS, "find"):
            rows = await self._endpoints.find(
                {"workspace_id": workspace_id, "deleted": False}
            ).to_list()
        return [_endpoint(row) for row in rows]

    async def enqueue(self, delivery: WebhookDelivery) -> None:
        with self._db.operation(WEBHOOK_DELIVERIES, "enqueue"):
            try:
                await self._deliveries.insert_one(_document(delivery))
            except DuplicateKeyError:
                return  # enqueued before (a reaction run again): keep the first

    async def delivery(self, delivery_id: str) -> WebhookDelivery | None:
        with self._db.operation(WEBHOOK_DELIVERIES, "find"):
            found = await self._deliveries.find_one({"_id": delivery_id})
        return None if found is None else _delivery(found)

    async def save_delivery(self, delivery: WebhookDelivery) -> None:
        with self._db.operation(WEBHOOK_DELIVERIES, "save"):
            await self._deliveries.replace_one({"_id": delivery.id}, _document(delivery))

    async def due(self, now: datetime, *, limit: int) -> Sequence[WebhookDelivery]:
        query = {"status": DeliveryStatus.PENDING.value, "next_attempt_at": {"$lte": now}}
        with self._db.operation(WEBHOOK_DELIVERIES, "find"):
            rows = await self._deliveries.find(query).sort(_DUE_ORDER).limit(limit).to_list()
        return [_delivery(row) for row in rows]

    async def earlier_pending(self, delivery: WebhookDelivery) -> bool:
        query = {
            "endpoint_id": delivery.endpoint_id,
            "order_key": delivery.order_key,
            "status": DeliveryStatus.PENDING.value,
            "position": {"$lt": delivery.position},
        }
        with self._db.operation(WEBHOOK_DELIVERIES, "find"):
            return await self._deliveries.find_one(query, {"_id": 1}) is not None

    async def log(
        self, endpoint_id: str, *, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[WebhookDelivery]:
        query = combine({"endpoint_id": endpoint_id}, keyset_after(LOG_ORDER, after))
        with self._db.operation(WEBHOOK_DELIVERIES, "find"):
            rows = await self._deliveries.find(query).sort(LOG_ORDER).limit(limit).to_list()
        return [_delivery(row) for row in rows]

    async def unpark(self, endpoint_id: str, now: datetime) -> int:
        with self._db.operation(WEBHOOK_DELIVERIES, "update"):
            result = await self._deliveries.update_many(
                {"endpoint_id": endpoint_id, "status": DeliveryStatus.PARKED.value},
                {
                    "$set": {
                        "status": DeliveryStatus.PENDING.value,
                        "next_attempt_at": now,
                        "give_up_at": now + RETRY_FOR,
                    }
                },
            )
        return result.modified_count

    async def prune_delivered(self, before: datetime) -> int:
        query = {"status": DeliveryStatus.DELIVERED.value, "created_at": {"$lt": before}}
        with self._db.operation(WEBHOOK_DELIVERIES, "delete"):
            result = await self._deliveries.delete_many(query)
        return result.deleted_count


def _endpoint(document: Document) -> WebhookEndpoint:
    return convert(_fields(document), WebhookEndpoint, what=f"webhook {document['_id']!r}")


def _delivery(document: Document) -> WebhookDelivery:
    return convert(_fields(document), WebhookDelivery, what=f"delivery {document['_id']!r}")
