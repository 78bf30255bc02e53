"""The index-coverage checker on handcrafted wire commands (issue 13, goal 4), and the catalog
it reads, derived from the migrations."""

from __future__ import annotations

from typing import Any

import pytest

from flowra_adapters.mongo import names
from flowra_adapters.mongo.index_coverage import (
    EQUALITY,
    OPAQUE,
    RANGE,
    pins,
    serving_index,
    shape,
    shapes_of,
    unserved,
)
from flowra_adapters.mongo.migrations import MIGRATIONS
from flowra_adapters.mongo.migrations.index_catalog import ID_INDEX, DeclaredIndex, declared_indexes
from flowra_adapters.mongo.sharding import SHARD_KEYS

MESSAGES = (
    ID_INDEX,
    DeclaredIndex((("chat_id", 1), ("parent_id", 1), ("created_at", 1), ("_id", 1))),
    DeclaredIndex((("author_id", 1), ("created_at", 1))),
)
CHATS = (
    ID_INDEX,
    DeclaredIndex(
        (("workspace_id", 1), ("deleted_at", 1), ("sort_activity", -1), ("_id", -1)),
    ),
)
CATALOG = {"messages": MESSAGES, "chats": CHATS}


def _unserved(command: dict[str, Any]) -> list[str]:
    return [query.describe() for query in unserved(command, CATALOG)]


class TestServed:
    def test_an_id_lookup_is_served(self) -> None:
        assert _unserved({"find": "messages", "filter": {"_id": "m1"}}) == []
        assert _unserved({"find": "messages", "filter": {"_id": {"$in": ["a", "b"]}}}) == []

    def test_equality_prefix_then_sort_is_served(self) -> None:
        command = {
            "find": "messages",
            "filter": {"chat_id": "c", "parent_id": None},
            "sort": {"created_at": -1, "_id": -1},
        }
        assert _unserved(command) == []

    def test_equality_prefix_then_range_on_the_next_key_is_served(self) -> None:
        command = {
            "find": "messages",
            "filter": {"chat_id": "c", "parent_id": None, "created_at": {"$lt": 5}},
            "sort": {"created_at": -1, "_id": -1},
        }
        assert _unserved(command) == []

    def test_a_sort_on_fields_pinned_by_equality_needs_no_index_order(self) -> None:
        command = {"find": "messages", "filter": {"author_id": "u"}, "sort": {"author_id": 1}}
        assert _unserved(command) == []

    def test_the_whole_order_inverted_is_served(self) -> None:
        command = {
            "find": "chats",
            "filter": {"workspace_id": "w", "deleted_at": None},
            "sort": {"sort_activity": 1, "_id": 1},
        }
        assert _unserved(command) == []

    def test_fields_outside_the_index_filter_a_bounded_scan(self) -> None:
        command = {"find": "messages", "filter": {"author_id": "u", "type": "system"}}
        assert _unserved(command) == []

    def test_an_aggregate_is_judged_on_its_leading_match_and_sort(self) -> None:
        pipeline = [
            {"$match": {"chat_id": "c"}},
            {"$match": {"parent_id": None}},
            {"$sort": {"created_at": 1, "_id": 1}},
            {"$limit": 10},
        ]
        assert _unserved({"aggregate": "messages", "pipeline": pipeline}) == []

    def test_updates_and_deletes_are_judged_on_each_statement(self) -> None:
        command = {
            "update": "messages",
            "updates": [{"q": {"_id": "m"}, "u": {}}, {"q": {"chat_id": "c"}, "u": {}}],
        }
        assert _unserved(command) == []
        assert _unserved({"delete": "messages", "deletes": [{"q": {"_id": "m"}, "limit": 1}]}) == []

    def test_an_or_is_served_when_every_branch_is(self) -> None:
        command = {"find": "messages", "filter": {"$or": [{"_id": "a"}, {"author_id": "u"}]}}
        assert _unserved(command) == []

    def test_an_or_under_a_served_prefix_is_served(self) -> None:
        command = {"find": "messages", "filter": {"chat_id": "c", "$or": [{"x": 1}, {"y": 2}]}}
        assert _unserved(command) == []

    @pytest.mark.parametrize(
        "command",
        [
            {"insert": "messages", "documents": [{"_id": "m"}]},
            {"createIndexes": "messages", "indexes": []},
            {"ping": 1},
            {"count": "messages"},
        ],
    )
    def test_commands_without_a_filter_have_no_shape(self, command: dict[str, Any]) -> None:
        assert shapes_of(command) == []


class TestUnserved:
    def test_a_filter_on_an_unindexed_field_is_unserved(self) -> None:
        assert _unserved({"find": "messages", "filter": {"type": "system"}}) == [
            "messages find {type:eq}"
        ]

    def test_an_empty_filter_is_a_collection_scan(self) -> None:
        assert _unserved({"find": "messages", "filter": {}}) == ["messages find {}"]

    def test_a_sort_the_index_does_not_continue_with_is_unserved(self) -> None:
        command = {"find": "messages", "filter": {"chat_id": "c"}, "sort": {"created_at": -1}}
        assert _unserved(command) == ["messages find {chat_id:eq} sort(created_at:-1)"]

    def test_mixed_directions_unlike_the_index_are_unserved(self) -> None:
        command = {
            "find": "chats",
            "filter": {"workspace_id": "w", "deleted_at": None},
            "sort": {"sort_activity": -1, "_id": 1},
        }
        assert len(_unserved(command)) == 1

    def test_a_range_before_the_sort_is_unserved(self) -> None:
        command = {
            "find": "messages",
            "filter": {"author_id": {"$gt": "a"}},
            "sort": {"created_at": 1},
        }
        assert len(_unserved(command)) == 1

    def test_an_or_with_one_unserved_branch_is_unserved(self) -> None:
        command = {"find": "messages", "filter": {"$or": [{"_id": "a"}, {"type": "x"}]}}
        assert len(_unserved(command)) == 1

    def test_an_aggregate_without_a_leading_match_scans(self) -> None:
        pipeline = [{"$group": {"_id": "$chat_id", "n": {"$sum": 1}}}]
        assert _unserved({"aggregate": "messages", "pipeline": pipeline}) == [
            "messages aggregate {}"
        ]

    def test_a_collection_the_migrations_never_declared_has_only_id(self) -> None:
        assert _unserved({"find": "unknown", "filter": {"x": 1}}) == ["unknown find {x:eq}"]


class TestShapes:
    @pytest.mark.parametrize(
        ("condition", "kind"),
        [
            ("v", EQUALITY),
            (None, EQUALITY),
            ({"$in": [1, 2]}, EQUALITY),
            ({"$eq": 1}, EQUALITY),
            ({"$gte": 1, "$lt": 3}, RANGE),
            ({"$ne": None}, RANGE),
            ({"$regex": "^ab"}, RANGE),
            ({"$regex": "ab"}, OPAQUE),
            ({"$regex": "^ab", "$options": "i"}, OPAQUE),
            ({"$not": {"$gt": 1}}, OPAQUE),
            ({"nested": 1}, EQUALITY),
        ],
    )
    def test_each_condition_has_a_kind(self, condition: object, kind: str) -> None:
        assert shape("c", "find", {"f": condition}).fields == {"f": kind}

    def test_elem_match_names_the_inner_fields(self) -> None:
        query = shape("w", "find", {"members": {"$elemMatch": {"user_id": "u"}}})
        assert query.fields == {"members.user_id": EQUALITY}

    def test_and_clauses_are_flattened(self) -> None:
        query = shape("c", "find", {"$and": [{"a": 1}, {"b": {"$gt": 2}}]})
        assert query.fields == {"a": EQUALITY, "b": RANGE}

    def test_the_description_is_stable(self) -> None:
        first = shape("c", "find", {"b": 1, "a": {"$gt": 0}}, {"x": -1}).describe()
        assert first == shape("c", "find", {"a": {"$lt": 9}, "b": 2}, {"x": -1}).describe()
        assert first == "c find {a:range, b:eq} sort(x:-1)"


class TestShardKeys:
    def test_a_query_pinning_the_shard_key_is_targeted(self) -> None:
        assert pins(shape("messages", "find", {"chat_id": "c", "x": 1}), "chat_id")
        assert not pins(shape("messages", "find", {"chat_id": {"$gt": "c"}}), "chat_id")
        either = shape("messages", "find", {"$or": [{"chat_id": "a"}, {"chat_id": "b"}]})
        assert pins(either, "chat_id")

    def test_every_declared_collection_has_a_shard_key_decision(self) -> None:
        assert set(declared_indexes()) == set(SHARD_KEYS)

    def test_unique_indexes_of_sharded_collections_start_with_the_shard_key(self) -> None:
        """MongoDB refuses to shard a collection on a key its unique indexes do not start
        with: the documented keys must be possible."""
        for collection, indexes in declared_indexes().items():
            key = SHARD_KEYS[collection]
            for index in indexes:
                if key is not None and index.unique and index is not ID_INDEX:
                    assert index.fields[0] == key, (collection, index.name)


class TestCatalog:
    def test_the_catalog_is_derived_from_the_migrations(self) -> None:
        catalog = declared_indexes()
        assert catalog[names.MESSAGES][0] == ID_INDEX
        message_indexes = {index.name for index in catalog[names.MESSAGES]}
        assert "chat_id_1_parent_id_1_created_at_1__id_1" in message_indexes
        directed = {index.keys for index in catalog[names.CHATS]}
        assert (("workspace_id", 1), ("deleted_at", 1), ("sort_activity", -1), ("_id", -1)) in (
            directed
        )

    def test_a_later_migration_can_drop_an_index(self) -> None:
        first, *_ = MIGRATIONS
        dropping = type(first)(
            version="9999",
            name="drop",
            definition={"dropped_indexes": {names.FILES: ["message_id_1"]}},
            apply=first.apply,
            revert=None,
        )
        files = declared_indexes([*MIGRATIONS, dropping])[names.FILES]
        assert "message_id_1" not in {index.name for index in files}
        assert "message_id_1" in {index.name for index in declared_indexes()[names.FILES]}

    def test_the_real_catalog_serves_the_message_page(self) -> None:
        query = shape(
            names.MESSAGES,
            "find",
            {"chat_id": "c", "parent_id": None},
            {"created_at": -1, "_id": -1},
        )
        assert serving_index(query, declared_indexes()[names.MESSAGES]) is not None
