from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowra_core.domain.datetimes import (
    format_due_date,
    format_timestamp,
    parse_due_date,
    parse_timestamp,
)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


ACCEPTED_DUE_DATES: list[tuple[str, datetime]] = [
    ("2026-03-01", utc(2026, 3, 1)),
    ("2026-03-01T14:30", utc(2026, 3, 1, 14, 30)),
    ("2026-03-01T14:30:15", utc(2026, 3, 1, 14, 30, 15)),
    ("2026-03-01T14:30:15Z", utc(2026, 3, 1, 14, 30, 15)),
    ("2026-03-01T14:30:15z", utc(2026, 3, 1, 14, 30, 15)),
    ("2026-03-01t14:30:15Z", utc(2026, 3, 1, 14, 30, 15)),
    ("2026-03-01T14:30:15+02:00", utc(2026, 3, 1, 12, 30, 15)),
    ("2026-03-01T14:30:15-05:30", utc(2026, 3, 1, 20, 0, 15)),
    ("2026-03-01T00:30:00+01:00", utc(2026, 2, 28, 23, 30)),
    ("2026-03-01T14:30:15-00:00", utc(2026, 3, 1, 14, 30, 15)),
    ("2026-03-01T14:30:15.5Z", utc(2026, 3, 1, 14, 30, 15, 500_000)),
    ("2026-03-01T14:30:15.123Z", utc(2026, 3, 1, 14, 30, 15, 123_000)),
    ("2026-03-01T14:30:15.123456789+00:00", utc(2026, 3, 1, 14, 30, 15, 123_000)),
    ("2026-03-01T14:30:15.999999Z", utc(2026, 3, 1, 14, 30, 15, 999_000)),
    ("2024-02-29", utc(2024, 2, 29)),
    ("2026-12-31T23:59:59+23:59", utc(2026, 12, 31, 0, 0, 59)),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED_DUE_DATES)
def test_parse_due_date_accepts(text: str, expected: datetime) -> None:
    parsed = parse_due_date(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


REJECTED_DUE_DATES = [
    "",
    "tomorrow",
    "2026-1-5",
    "2026-01-5",
    "26-01-05",
    "20260105",
    "2026/01/05",
    " 2026-01-05",
    "2026-01-05 ",
    "2026-01-05\n",
    "2026-01-05 14:30",
    "2026-01-05T14",
    "2026-01-05T1:30",
    "2026-01-05T14:3",
    "2026-01-05T14:30Z",  # RFC 3339 needs seconds
    "2026-01-05T14:30+02:00",
    "2026-01-05T14:30:15.123",  # a fraction belongs to the RFC 3339 form only
    "2026-01-05T14:30:15.Z",
    "2026-01-05T14:30:15+0200",
    "2026-01-05T14:30:15+02",
    "2026-01-05T14:30:15 +02:00",
    "2026-01-05T14:30:15+24:00",
    "2026-01-05T14:30:15+02:60",
    "2026-01-05Z",
    "2026-13-01",
    "2026-02-30",
    "2025-02-29",
    "0000-01-01",
    "2026-01-05T24:00",
    "2026-01-05T14:60",
    "2026-12-31T23:59:60Z",  # leap seconds are not representable
    "9999-12-31T23:59:59-01:00",  # out of range once in UTC
    "0001-01-01T00:00:00+01:00",
    "２０２６-01-05",  # fullwidth digits
    "٢٠٢٦-01-05",  # Arabic-Indic digits
]


@pytest.mark.parametrize("text", REJECTED_DUE_DATES)
def test_parse_due_date_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="date"):
        parse_due_date(text)


@given(st.integers(min_value=0, max_value=999_999))
def test_parse_due_date_keeps_milliseconds_as_bson_dates_do(microseconds: int) -> None:
    parsed = parse_due_date(f"2026-03-01T14:30:15.{microseconds:06d}Z")

    assert parsed.microsecond == microseconds // 1000 * 1000


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (utc(2026, 3, 1), "2026-03-01"),
        (utc(2026, 3, 1, 0, 0, 59), "2026-03-01"),  # shown to the minute
        (utc(2026, 3, 1, 0, 1), "2026-03-01 00:01 UTC"),
        (utc(2026, 3, 1, 14, 30), "2026-03-01 14:30 UTC"),
        (datetime(2026, 3, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))), "2026-03-01"),
        (datetime(2026, 3, 1, 0, 0, tzinfo=timezone(timedelta(hours=2))), "2026-02-28 22:00 UTC"),
        (utc(987, 6, 5), "0987-06-05"),
    ],
)
def test_format_due_date(due: datetime, expected: str) -> None:
    assert format_due_date(due) == expected


def test_due_date_round_trip_of_the_spec_example() -> None:
    assert format_due_date(parse_due_date("2026-03-01")) == "2026-03-01"
    assert format_due_date(parse_due_date("2026-03-01T09:05")) == "2026-03-01 09:05 UTC"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2026, 1, 28, 10, 30, 0, 123_000), "2026-01-28T10:30:00.123Z"),
        (utc(2026, 1, 28, 10, 30, 0, 123_999), "2026-01-28T10:30:00.123Z"),  # truncated
        (utc(2026, 1, 28), "2026-01-28T00:00:00.000Z"),
        (utc(5, 1, 2, 3, 4, 5), "0005-01-02T03:04:05.000Z"),
        (
            datetime(2026, 1, 28, 12, 30, tzinfo=timezone(timedelta(hours=2))),
            "2026-01-28T10:30:00.000Z",
        ),
    ],
)
def test_format_timestamp(moment: datetime, expected: str) -> None:
    assert format_timestamp(moment) == expected


@pytest.mark.parametrize("format_", [format_timestamp, format_due_date])
def test_formatting_needs_an_aware_datetime(format_: Callable[[datetime], str]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_(datetime(2026, 1, 28))


def test_parse_timestamp() -> None:
    parsed = parse_timestamp("2026-01-28T10:30:00.123Z")
    assert parsed == utc(2026, 1, 28, 10, 30, 0, 123_000)
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-28T10:30:00Z",
        "2026-01-28T10:30:00.12Z",
        "2026-01-28T10:30:00.1234Z",
        "2026-01-28T10:30:00.123+00:00",
        "2026-01-28T10:30:00.123z",
        "2026-01-28 10:30:00.123Z",
        "2026-01-28T25:30:00.123Z",
        "2026-01-28",
    ],
)
def test_parse_timestamp_rejects_other_forms(text: str) -> None:
    with pytest.raises(ValueError, match="not a timestamp"):
        parse_timestamp(text)


@settings(database=None)
@given(st.datetimes(timezones=st.just(UTC)))
def test_timestamp_round_trip(moment: datetime) -> None:
    text = format_timestamp(moment)
    assert parse_timestamp(text) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert format_timestamp(parse_timestamp(text)) == text
