"""Date and timestamp conventions (README "Global conventions", tags.md `#due`, http-api.md dates).

- `parse_due_date` reads user input: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`, `YYYY-MM-DDTHH:MM:SS`, or
  RFC 3339 with an offset (`Z` or `±HH:MM`, optional fractional seconds, truncated to
  milliseconds as BSON stores them). Strict: zero-padded fields, no surrounding or inner
  spaces. `T`/`Z` may be lowercase, as RFC 3339 §5.6 allows.
  A fraction is only accepted together with an offset (it is part of the RFC 3339 form only),
  and `HH:MM` with an offset is rejected (RFC 3339 requires seconds). Leap second `:60` is rejected.
- `format_timestamp` / `parse_timestamp` are the project-wide timestamp form
  `2026-01-28T10:30:00.123Z` (UTC, milliseconds, `Z`).
"""

import re
from datetime import UTC, datetime, timedelta, timezone

_DUE_DATE = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"(?:[Tt](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})"
    r"(?:(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<offset>[Zz]|(?P<sign>[+-])(?P<offset_hour>[0-9]{2}):(?P<offset_minute>[0-9]{2})))?"
    r")?)?"
)
_TIMESTAMP = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})\.(?P<millis>[0-9]{3})Z"
)


def parse_due_date(text: str) -> datetime:
    """Parse a due date given by a user; returns an aware UTC datetime or raises ValueError."""
    match = _DUE_DATE.fullmatch(text)
    if match is None:
        raise ValueError(f"not a valid date: {text!r}")
    fields = match.groupdict()
    fraction = fields["fraction"] or ""
    try:
        local = datetime(
            int(fields["year"]),
            int(fields["month"]),
            int(fields["day"]),
            int(fields["hour"] or 0),
            int(fields["minute"] or 0),
            int(fields["second"] or 0),
            _milliseconds_as_microseconds(fraction),
            tzinfo=_offset(fields["sign"], fields["offset_hour"], fields["offset_minute"]),
        )
        return local.astimezone(UTC)
    # Out-of-range fields, or a UTC value past year 1..9999 (e.g. 9999-12-31T23:59:59-01:00).
    except (ValueError, OverflowError) as error:
        raise ValueError(f"not a valid date: {text!r}") from error


def _milliseconds_as_microseconds(fraction: str) -> int:
    # Truncated to milliseconds, the precision BSON dates keep: a due date then reads back
    # from MongoDB exactly as the domain holds it in memory.
    return int(fraction[:3].ljust(3, "0")) * 1000


def _offset(sign: str | None, hours: str | None, minutes: str | None) -> timezone:
    if sign is None or hours is None or minutes is None:
        return UTC  # `Z`, or no offset at all (= UTC)
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError(f"invalid UTC offset: {sign}{hours}:{minutes}")
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def format_due_date(due: datetime) -> str:
    """`YYYY-MM-DD` at 00:00 UTC, else `YYYY-MM-DD HH:MM UTC` (minute precision, as displayed)."""
    utc = _as_utc(due)
    if utc.hour == 0 and utc.minute == 0:
        return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
    return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d} {utc.hour:02d}:{utc.minute:02d} UTC"


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds (truncated) and `Z`: `2026-01-28T10:30:00.123Z`."""
    utc = _as_utc(moment)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


def parse_timestamp(text: str) -> datetime:
    """Inverse of `format_timestamp`; accepts exactly that form, else raises ValueError."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise ValueError(f"not a timestamp of the form YYYY-MM-DDTHH:MM:SS.mmmZ: {text!r}")
    fields = match.groupdict()
    try:
        return datetime(
            int(fields["year"]),
            int(fields["month"]),
            int(fields["day"]),
            int(fields["hour"]),
            int(fields["minute"]),
            int(fields["second"]),
            int(fields["millis"]) * 1000,
            tzinfo=UTC,
        )
    except ValueError as error:
        raise ValueError(f"not a timestamp (field out of range): {text!r}") from error


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:
        raise ValueError(f"datetime out of range: {moment!r}") from error
