"""EventStore contract: one commit per command, conflicts on a taken base_version, and streams
in version order both ways."""

from __future__ import annotations

import pytest

from flowra_core.domain.errors import ConcurrencyConflict

from .backends import Ports
from .journal_samples import (
    CREATED,
    DEACTIVATED,
    REACTIVATED,
    UPDATED,
    commit,
    six_event_stream,
    versions,
)

pytestmark = pytest.mark.integration


class TestAppend:
    async def test_events_read_back_exactly_as_committed(self, ports: Ports) -> None:
        first = commit("u1", 0, CREATED, UPDATED)
        await ports.events.append(first)

        assert list(await ports.events.read_stream("u1")) == list(first.events)

    async def test_a_second_writer_on_the_same_version_conflicts_and_changes_nothing(
        self, ports: Ports
    ) -> None:
        await ports.events.append(commit("u1", 0, CREATED))
        rival = commit("u1", 0, CREATED, UPDATED, commit_id="rival")

        with pytest.raises(ConcurrencyConflict) as raised:
            await ports.events.append(rival)

        assert (raised.value.aggregate_id, raised.value.expected_version) == ("u1", 0)
        assert versions(await ports.events.read_stream("u1")) == [1]

    async def test_a_writer_that_read_an_older_version_conflicts(self, ports: Ports) -> None:
        await ports.events.append(commit("u1", 0, CREATED))
        await ports.events.append(commit("u1", 1, UPDATED))

        with pytest.raises(ConcurrencyConflict):
            await ports.events.append(commit("u1", 1, DEACTIVATED, commit_id="late"))

    async def test_streams_of_different_aggregates_do_not_clash(self, ports: Ports) -> None:
        await ports.events.append(commit("u1", 0, CREATED))
        await ports.events.append(commit("u2", 0, CREATED))

        assert versions(await ports.events.read_stream("u2")) == [1]


class TestReadStream:
    async def test_every_event_in_version_order(self, ports: Ports) -> None:
        await six_event_stream(ports)

        assert versions(await ports.events.read_stream("u1")) == [1, 2, 3, 4, 5, 6]

    @pytest.mark.parametrize(
        ("after", "expected"), [(2, [3, 4, 5, 6]), (3, [4, 5, 6]), (4, [5, 6]), (6, [])]
    )
    async def test_only_events_after_the_version(
        self, ports: Ports, after: int, expected: list[int]
    ) -> None:
        await six_event_stream(ports)

        assert versions(await ports.events.read_stream("u1", after_version=after)) == expected

    async def test_an_unknown_stream_is_empty(self, ports: Ports) -> None:
        assert list(await ports.events.read_stream("nobody")) == []


class TestStreamCommits:
    async def test_whole_commits_in_version_order_of_that_stream_only(self, ports: Ports) -> None:
        first = commit("u1", 0, CREATED, UPDATED)
        second = commit("u1", 2, DEACTIVATED)
        await ports.events.append(commit("u2", 0, CREATED))
        await ports.events.append(first)
        await ports.events.append(second)

        assert list(await ports.events.stream_commits("u1")) == [first, second]
        assert list(await ports.events.stream_commits("nobody")) == []


class TestReadStreamBackwards:
    async def test_newest_first_across_commits_up_to_the_limit(self, ports: Ports) -> None:
        await six_event_stream(ports)

        found = await ports.events.read_stream_backwards("u1", before_version=None, limit=4)

        assert versions(found) == [6, 5, 4, 3]

    async def test_only_events_before_the_version(self, ports: Ports) -> None:
        await six_event_stream(ports)

        found = await ports.events.read_stream_backwards("u1", before_version=5, limit=10)

        assert versions(found) == [4, 3, 2, 1]

    async def test_only_the_named_event_types(self, ports: Ports) -> None:
        await six_event_stream(ports)

        found = await ports.events.read_stream_backwards(
            "u1", before_version=6, limit=2, event_types={UPDATED, CREATED}
        )

        assert versions(found) == [5, 2]
        assert [envelope.type for envelope in found] == [UPDATED, UPDATED]

    async def test_a_type_absent_from_the_range_finds_nothing(self, ports: Ports) -> None:
        await six_event_stream(ports)

        found = await ports.events.read_stream_backwards(
            "u1", before_version=3, limit=5, event_types={REACTIVATED}
        )

        assert list(found) == []
