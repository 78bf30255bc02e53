"""The indexes the migrations declare, as data: what `index_coverage` checks every query
against (issue 13, goal 4).

Derived from each migration's `definition`, never listed a second time, so a migration that
adds a collection or an index is covered the moment it is in `MIGRATIONS`. The convention a
migration follows for that: `definition["collections"]` maps a collection name to its list
of indexes, each `{"keys": [...], "unique": bool?}` where a key is a field name (ascending)
or a `[field, 1 | -1]` pair; `definition["dropped_indexes"]` maps a collection to the names
of indexes it drops. Every collection also has its `_id` index.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flowra_adapters.mongo.migrations.catalog import MIGRATIONS
from flowra_adapters.mongo.migrations.model import Migration

IndexKey = tuple[str, int]  # (field, 1 ascending | -1 descending)


@dataclass(frozen=True, slots=True)
class DeclaredIndex:
    keys: tuple[IndexKey, ...]
    unique: bool = False

    @property
    def name(self) -> str:
        """MongoDB's default name, which the migrations use too."""
        return "_".join(f"{field}_{direction}" for field, direction in self.keys)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(field for field, _ in self.keys)


ID_INDEX = DeclaredIndex(keys=(("_id", 1),), unique=True)


def _key(raw: Any) -> IndexKey:
    if isinstance(raw, str):
        return (raw, 1)
    field, direction = raw
    return (str(field), int(direction))


def _index(raw: Mapping[str, Any]) -> DeclaredIndex:
    return DeclaredIndex(
        keys=tuple(_key(key) for key in raw["keys"]), unique=bool(raw.get("unique", False))
    )


def declared_indexes(
    migrations: Iterable[Migration] = MIGRATIONS,
) -> dict[str, tuple[DeclaredIndex, ...]]:
    """Collection → its indexes after every migration has run, `_id` first."""
    catalog: dict[str, list[DeclaredIndex]] = {}
    for migration in migrations:
        declared: Mapping[str, Sequence[Mapping[str, Any]]] = migration.definition.get(
            "collections", {}
        )
        for collection, indexes in declared.items():
            known = catalog.setdefault(collection, [ID_INDEX])
            known.extend(index for index in map(_index, indexes) if index not in known)
        dropped: Mapping[str, Sequence[str]] = migration.definition.get("dropped_indexes", {})
        for collection, names in dropped.items():
            catalog[collection] = [i for i in catalog.get(collection, []) if i.name not in names]
    return {collection: tuple(indexes) for collection, indexes in catalog.items()}
