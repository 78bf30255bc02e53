"""Does an index serve this query? Checked on the wire command, without a MongoDB server
(issue 13, goal 4: FerretDB, the test harness, has no planner worth asking).

A query is served when an index of the catalog (`migrations.index_catalog`) gives it, in
MongoDB's terms, bounds and its order: the index starts with fields the filter pins by
equality (`x: v`, `$eq`, `$in`, `null`), continues with the sort's fields in the sort's
order (all directions as declared or all inverted; fields pinned by equality may be skipped),
and a range (`$gt`, `$lt`, `$ne`, an anchored `$regex`, ...) comes after them. Something must
bound the scan: an equality prefix, the index's first field as a range, or the whole order.
Filters on fields the index lacks are applied to what it returns (fine: the scan is bounded).
A lookup by `_id` is always served.

A `$or` is served when each branch is; an aggregate is judged on its leading `$match` and the
`$sort` after it. Commands that read nothing by a filter (inserts, index builds, pings,
`count` without a query) have no shape.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flowra_adapters.mongo.migrations.index_catalog import DeclaredIndex, IndexKey

EQUALITY = "eq"
RANGE = "range"
OPAQUE = "opaque"  # an operator no index bound serves ($expr, $where, unanchored $regex...)

_RANGE_OPERATORS = frozenset({"$gt", "$gte", "$lt", "$lte", "$ne", "$nin", "$exists", "$type"})
_COMPARISON_OPERATORS = _RANGE_OPERATORS | {"$eq", "$in", "$regex", "$options", "$elemMatch"}


@dataclass(frozen=True, slots=True)
class QueryShape:
    """What an index is judged on: the filter's fields by kind, and the requested order."""

    collection: str
    operation: str
    fields: Mapping[str, str]  # field → EQUALITY | RANGE | OPAQUE
    sort: tuple[IndexKey, ...] = ()
    branches: tuple[QueryShape, ...] = field(default=())  # a top-level $or

    def describe(self) -> str:
        """A stable one-line key: the same query shape always reads the same."""
        parts = [f"{name}:{kind}" for name, kind in sorted(self.fields.items())]
        text = f"{self.collection} {self.operation} {{{', '.join(parts)}}}"
        if self.branches:
            text += " $or[" + " | ".join(b.describe() for b in self.branches) + "]"
        if self.sort:
            text += " sort(" + ", ".join(f"{f}:{d}" for f, d in self.sort) + ")"
        return text


def _kind(value: Any) -> str:
    if not isinstance(value, Mapping) or not any(str(k).startswith("$") for k in value):
        return EQUALITY  # a value, null or a whole sub-document
    operators = set(value)
    if not operators <= _COMPARISON_OPERATORS:
        return OPAQUE
    if operators <= {"$eq", "$in", "$elemMatch"}:
        return EQUALITY
    if "$regex" in operators:
        pattern = value["$regex"]
        anchored = isinstance(pattern, str) and pattern.startswith("^")
        return RANGE if anchored and "$options" not in operators else OPAQUE
    return RANGE


def _fields(query: Mapping[str, Any]) -> tuple[dict[str, str], list[Mapping[str, Any]]]:
    """The filter's top-level fields by kind (`$and` flattened) and the `$or` branches."""
    fields: dict[str, str] = {}
    alternatives: list[Mapping[str, Any]] = []
    for name, value in query.items():
        if name == "$and":
            for clause in value:
                more, ors = _fields(clause)
                fields.update(more)
                alternatives.extend(ors)
        elif name == "$or":
            alternatives.extend(value)
        elif name.startswith("$"):
            fields[name] = OPAQUE
        elif isinstance(value, Mapping) and isinstance(value.get("$elemMatch"), Mapping):
            for inner, condition in value["$elemMatch"].items():
                fields[f"{name}.{inner}"] = _kind(condition)
        else:
            fields[name] = _kind(value)
    return fields, alternatives


def shape(
    collection: str,
    operation: str,
    query: Mapping[str, Any],
    sort: Mapping[str, int] | None = None,
) -> QueryShape:
    fields, alternatives = _fields(query)
    order = tuple((name, int(direction)) for name, direction in (sort or {}).items())
    # Each branch is planned with the fields around the `$or` and must give the order itself.
    branches = tuple(
        QueryShape(collection, operation, {**fields, **b.fields}, order, b.branches)
        for b in (shape(collection, operation, alternative) for alternative in alternatives)
    )
    if len(branches) == 1:  # `$or` of one: just more fields
        return branches[0]
    return QueryShape(collection, operation, fields, order, branches)


def _aggregate_shape(collection: str, pipeline: Sequence[Mapping[str, Any]]) -> QueryShape:
    match: dict[str, Any] = {}
    sort: Mapping[str, int] | None = None
    for stage in pipeline:
        if "$match" in stage:
            match = {"$and": [match, stage["$match"]]} if match else dict(stage["$match"])
            continue
        if "$sort" in stage:
            sort = stage["$sort"]
        break
    return shape(collection, "aggregate", match, sort)


def shapes_of(command: Mapping[str, Any]) -> list[QueryShape]:
    """The query shapes of one wire command (empty for commands that read by no filter)."""
    name = next(iter(command))
    collection = command[name]
    if not isinstance(collection, str):
        return []
    if name == "find":
        return [shape(collection, "find", command.get("filter", {}), command.get("sort"))]
    if name == "aggregate":
        return [_aggregate_shape(collection, command.get("pipeline", []))]
    if name == "count":
        query = command.get("query")
        return [shape(collection, "count", query)] if query else []
    if name == "distinct":
        return [shape(collection, "distinct", command.get("query") or {})]
    if name == "findAndModify":
        query, sort = command.get("query", {}), command.get("sort")
        return [shape(collection, "findAndModify", query, sort)]
    if name == "update":
        return [shape(collection, "update", u.get("q", {})) for u in command.get("updates", [])]
    if name == "delete":
        return [shape(collection, "delete", d.get("q", {})) for d in command.get("deletes", [])]
    return []


def _serves(index: DeclaredIndex, query: QueryShape) -> bool:
    keys = index.keys
    position = 0
    while position < len(keys) and query.fields.get(keys[position][0]) == EQUALITY:
        position += 1
    bounded = position > 0
    flip: int | None = None  # +1: the index's own order, -1: all inverted
    for name, direction in query.sort:
        if query.fields.get(name) == EQUALITY:
            continue  # one value: any order of it is the order
        if position >= len(keys) or keys[position][0] != name:
            return False  # the order would need an in-memory sort
        this_flip = 1 if keys[position][1] == direction else -1
        if flip is not None and this_flip != flip:
            return False
        flip = this_flip
        position += 1
        bounded = True  # walking the index in the requested order, stopping at the page
    if position < len(keys) and query.fields.get(keys[position][0]) == RANGE:
        bounded = True
    return bounded


def serving_index(query: QueryShape, indexes: Sequence[DeclaredIndex]) -> DeclaredIndex | None:
    """An index that serves `query`, or None. `_id` equality is served by the `_id` index."""
    if query.branches:
        # Either the fields around the `$or` are served (the `$or` filters what they give),
        # or every branch is (an index union, merged in order).
        shared = QueryShape(query.collection, query.operation, query.fields, query.sort)
        around = serving_index(shared, indexes) if shared.fields else None
        if around is not None:
            return around
        served = [serving_index(branch, indexes) for branch in query.branches]
        return served[0] if all(served) else None
    if query.fields.get("_id") == EQUALITY:
        return next((i for i in indexes if i.fields == ("_id",)), None)
    return next((index for index in indexes if _serves(index, query)), None)


def pins(query: QueryShape, shard_key: str) -> bool:
    """Whether `query` targets one shard: it pins the shard key by equality (each branch of
    a `$or` counts as its own query)."""
    if query.fields.get(shard_key) == EQUALITY:
        return True
    return bool(query.branches) and all(pins(branch, shard_key) for branch in query.branches)


def unserved(
    command: Mapping[str, Any], catalog: Mapping[str, Sequence[DeclaredIndex]]
) -> Iterator[QueryShape]:
    """The shapes of `command` that no declared index serves."""
    for query in shapes_of(command):
        if serving_index(query, catalog.get(query.collection, ())) is None:
            yield query
