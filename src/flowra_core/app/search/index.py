"""Words, matching and snippets for search (http-api.md "Search"), free of any storage.

Text is folded before it is split: compatibility decomposition (NFKD), case folding, and
every nonspacing mark dropped, so `Café`, `CAFE` and `cafe` are one word. Words are runs of
letters and digits (with the spacing marks some scripts write inside words); anything else
separates them. A query matches a text when each of its words starts some word of the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Final

SNIPPET_MAX_CHARS: Final = 160
ELLIPSIS: Final = "…"
# Context kept before the first match when a snippet has to be cut.
_LEAD_CHARS: Final = SNIPPET_MAX_CHARS // 4
# How far a cut may move to fall between words rather than inside one.
_SNAP_CHARS: Final = 20
# The words of folded ASCII text: in ASCII the letters and digits are exactly [a-z0-9] once
# lower-cased, and no character is a mark.
_ASCII_WORD: Final = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Case- and accent-insensitive form of `text`."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(char for char in decomposed if unicodedata.category(char) != "Mn")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char) in ("Mn", "Mc", "Me")


def _word_spans(text: str) -> Iterator[tuple[int, int]]:
    start: int | None = None
    for index, char in enumerate(text):
        if _is_word_char(char):
            if start is None:
                start = index
        elif start is not None:
            yield start, index
            start = None
    if start is not None:
        yield start, len(text)


def _folded_words(text: str) -> list[str]:
    if text.isascii():
        # NFKD leaves ASCII as it is and casefold is lower(): the same words, found in C.
        return _ASCII_WORD.findall(text.lower())
    folded = fold(text)
    return [folded[start:end] for start, end in _word_spans(folded)]


def tokenize(text: str) -> tuple[str, ...]:
    """The distinct folded words of `text`, in order of first appearance."""
    return tuple(dict.fromkeys(_folded_words(text)))


def query_words(q: str) -> tuple[str, ...]:
    """The distinct folded words of a query; each must start some word of a hit."""
    return tokenize(q)


def matches(tokens: Sequence[str], words: Sequence[str]) -> bool:
    return all(any(token.startswith(word) for token in tokens) for word in words)


def _first_match(text: str, words: Sequence[str]) -> int | None:
    """Where the first word of `text` that some query word starts begins."""
    for start, end in _word_spans(text):
        if any(
            token.startswith(word) for token in _folded_words(text[start:end]) for word in words
        ):
            return start
    return None


def snippet(text: str, words: Sequence[str], *, max_chars: int = SNIPPET_MAX_CHARS) -> str:
    """At most `max_chars` of `text` (whitespace collapsed) around its first match; a cut
    side is marked with an ellipsis and falls on a word boundary where one is near."""
    flat = " ".join(text.split())
    if len(flat) <= max_chars:
        return flat
    first = _first_match(flat, words)
    match = 0 if first is None else first
    start = max(0, min(match - _LEAD_CHARS, len(flat) - (max_chars - 1)))
    if start > 0:
        boundary = flat.find(" ", start, min(match, start + _SNAP_CHARS))
        if boundary != -1:
            start = boundary + 1
    prefix = ELLIPSIS if start > 0 else ""
    room = max_chars - len(prefix)
    if len(flat) - start <= room:
        return prefix + flat[start:]
    end = start + room - len(ELLIPSIS)
    boundary = flat.rfind(" ", max(match + 1, end - _SNAP_CHARS), end + 1)
    if boundary != -1:
        end = boundary
    return prefix + flat[start:end].rstrip() + ELLIPSIS
