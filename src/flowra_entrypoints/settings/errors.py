"""The configuration error: every problem found, one line each (exit code 2)."""

from __future__ import annotations

from typing import NamedTuple


class Problem(NamedTuple):
    """One invalid key; ``message`` is the text after ``<key>: `` and never holds a secret."""

    key: str
    message: str


class SettingsError(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        header = f"invalid configuration ({count} problem{'s' if count != 1 else ''}):"
        super().__init__("\n".join([header, *(f"  - {line}" for line in self.problems)]))
