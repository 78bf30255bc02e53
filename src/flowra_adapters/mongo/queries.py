"""Query pieces shared by the adapters: keyset pagination and literal text matching."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING

from flowra_adapters.mongo.database import Document

SortSpec = list[tuple[str, int]]


def keyset_after(sort: SortSpec, key: Sequence[Any] | None) -> Document:
    """The rows strictly after `key` in the `sort` order (the key holds one value per sort
    field; the last field is unique, so the order is total). `{}` for the first page.

    Besides the `$or` that states the order exactly, the first sort field gets a plain range
    from the key on: an index whose fields follow the filter's equalities and then the sort
    starts its scan there, so a deep page costs what a first page costs."""
    if key is None:
        return {}
    if len(key) != len(sort):
        raise ValueError(f"a key of {len(sort)} values is needed, got {key!r}")
    branches: list[Document] = []
    for position, (field, direction) in enumerate(sort):
        branch: Document = {
            name: value for (name, _), value in zip(sort[:position], key, strict=False)
        }
        branch[field] = {"$gt" if direction == ASCENDING else "$lt": key[position]}
        branches.append(branch)
    first_field, first_direction = sort[0]
    from_key = {"$gte" if first_direction == ASCENDING else "$lte": key[0]}
    return {first_field: from_key, "$or": branches}


def contains_text(text: str) -> Document:
    """A case-insensitive match of `text` anywhere in a field, every character literal."""
    return {"$regex": re.escape(text), "$options": "i"}


def combine(*filters: Document) -> Document:
    """All the filters at once; empty ones are dropped."""
    present = [query for query in filters if query]
    if not present:
        return {}
    return present[0] if len(present) == 1 else {"$and": present}
