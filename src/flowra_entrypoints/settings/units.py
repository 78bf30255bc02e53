"""Parsers for the value syntaxes of operations.md §2 (durations, sizes, booleans, lists).

Each parser accepts the raw value as it comes from an environment variable (always a string) or
from YAML (already typed), and raises ``ValueError`` saying what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

DURATION_HELP = (
    "an integer number of seconds or one or more <integer><unit> groups "
    "with units ms, s, m, h, d (e.g. 500ms, 30s, 1h30m, 7d)"
)
SIZE_HELP = "a number of bytes or an integer with KiB, MiB or GiB (e.g. 65536, 64KiB, 10MiB)"
BOOL_HELP = "true/false, 1/0 or yes/no"
LIST_HELP = "a list of strings or a comma-separated string"

_DURATION_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
# "ms" must come before "m" and "s" so that "500ms" is not read as 500 minutes + "s".
_DURATION_GROUP = re.compile(r"(\d+)(ms|s|m|h|d)")
_DURATION_FULL = re.compile(r"(?:\d+(?:ms|s|m|h|d))+")

_SIZE_UNIT_BYTES = {"": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}
_SIZE = re.compile(r"(\d+)(KiB|MiB|GiB)?")

_TRUE_WORDS = frozenset({"true", "1", "yes"})
_FALSE_WORDS = frozenset({"false", "0", "no"})


def parse_duration(value: str | int) -> float:
    """Return the duration in seconds: ``"1h30m"`` → 5400.0, ``"500ms"`` → 0.5, ``30`` → 30.0."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{value!r} is not a duration: expected {DURATION_HELP}")
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return float(int(text))
        if _DURATION_FULL.fullmatch(text):
            return sum(
                int(amount) * _DURATION_UNIT_SECONDS[unit]
                for amount, unit in _DURATION_GROUP.findall(text)
            )
    raise ValueError(f"{value!r} is not a duration: expected {DURATION_HELP}")


def parse_size(value: str | int) -> int:
    """Return the size in bytes: ``"64KiB"`` → 65536, ``"1024"`` → 1024."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{value!r} is not a size: expected {SIZE_HELP}")
        return value
    if isinstance(value, str):
        match = _SIZE.fullmatch(value.strip())
        if match:
            amount, unit = match.groups()
            return int(amount) * _SIZE_UNIT_BYTES[unit or ""]
    raise ValueError(f"{value!r} is not a size: expected {SIZE_HELP}")


def parse_bool(value: str | int | bool) -> bool:
    """Return the boolean for ``true/false/1/0/yes/no`` (any case) or a YAML bool / 0 / 1."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return value == 1
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    raise ValueError(f"{value!r} is not a boolean: expected {BOOL_HELP}")


def parse_int(value: str | int) -> int:
    """Return the integer for an int or a decimal integer string (``"42"``, ``"-1"``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
    raise ValueError(f"{value!r} is not an integer")


def parse_list(value: str | Sequence[str]) -> tuple[str, ...]:
    """Return the items of a comma-separated string or a list, stripped, empty items dropped."""
    if isinstance(value, str):
        items: Sequence[object] = value.split(",")
    elif isinstance(value, Sequence):
        items = value
    else:
        raise ValueError(f"{value!r} is not a list: expected {LIST_HELP}")
    if not all(isinstance(item, str) for item in items):
        raise ValueError(f"{value!r} is not a list: expected {LIST_HELP}")
    return tuple(stripped for item in items if (stripped := str(item).strip()))
