"""`@username` mentions (domain.md §4.1).

A mention is `@` followed by `[A-Za-z0-9._-]+`, at the start of the content or after a
character that is not a letter, digit or `_` (Unicode letters and digits count, so
`é@bob` and the e-mail `a@b.c` mention nobody). Trailing dots are dropped (`@bob.` is `bob`);
`@none` (any case) is never a mention.
"""

import re
from collections.abc import Callable

# `\w` is a Unicode letter, digit or `_`: exactly what may not precede the `@`.
_MENTION = re.compile(r"(?<!\w)@([A-Za-z0-9._-]+)")
_NEVER_A_MENTION = "none"


def extract_mention_tokens(content: str) -> list[str]:
    """The usernames written as mentions, in order of first appearance, deduplicated
    case-insensitively (the first spelling is kept)."""
    tokens: list[str] = []
    seen: set[str] = set()
    for match in _MENTION.finditer(content):
        token = match.group(1).rstrip(".")
        key = token.lower()
        if not token or key == _NEVER_A_MENTION or key in seen:
            continue
        seen.add(key)
        tokens.append(token)
    return tokens


def resolve_mentions(content: str, lookup: Callable[[str], str | None]) -> tuple[str, ...]:
    """The user ids mentioned in `content`, in order of first mention.

    `lookup` maps a username case-insensitively to a workspace member's user id, or None;
    unresolved tokens are ignored.
    """
    user_ids: list[str] = []
    for token in extract_mention_tokens(content):
        user_id = lookup(token)
        if user_id is not None and user_id not in user_ids:
            user_ids.append(user_id)
    return tuple(user_ids)
