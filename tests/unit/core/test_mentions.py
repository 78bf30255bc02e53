import pytest

from flowra_core.domain.message import extract_mention_tokens, resolve_mentions

MENTION_TABLE: list[tuple[str, list[str]]] = [
    ("", []),
    ("no mentions here", []),
    ("@bob", ["bob"]),
    ("@bob hello", ["bob"]),
    ("hello @bob", ["bob"]),
    ("line one\n@bob", ["bob"]),
    ("\t@bob", ["bob"]),
    ("(@bob)", ["bob"]),
    ("hi,@bob", ["bob"]),
    ("-@bob", ["bob"]),
    (".@bob", ["bob"]),
    ("@@bob", ["bob"]),
    ("x@bob", []),
    ("7@bob", []),
    ("_@bob", []),
    ("é@bob", []),
    ("a@b.c", []),
    ("mail alice@example.com now", []),
    ("@bob.", ["bob"]),
    ("@bob...", ["bob"]),
    ("@bob.smith.", ["bob.smith"]),
    ("@bob_smith-2", ["bob_smith-2"]),
    ("@bob-", ["bob-"]),
    ("@bob's", ["bob"]),
    ("@bob!", ["bob"]),
    ("@bob@alice", ["bob"]),
    ("@bob.@alice", ["bob", "alice"]),
    ("@...", []),
    ("@", []),
    ("@ bob", []),
    ("@é", []),
    ("@none", []),
    ("@NONE and @None", []),
    ("@none.", []),
    ("@nonexistent", ["nonexistent"]),
    ("@Bob @bob @BOB", ["Bob"]),
    ("@carol @bob @carol", ["carol", "bob"]),
    ("#assignee @bob", ["bob"]),
]


@pytest.mark.parametrize(("content", "expected"), MENTION_TABLE)
def test_extract_mention_tokens(content: str, expected: list[str]) -> None:
    assert extract_mention_tokens(content) == expected


MEMBERS = {"bob": "user-bob", "carol": "user-carol", "bob.smith": "user-bob-smith"}


def lookup(username: str) -> str | None:
    return MEMBERS.get(username.lower())


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("hi @carol and @bob", ("user-carol", "user-bob")),
        ("@BOB, @Carol", ("user-bob", "user-carol")),
        ("@ghost @bob", ("user-bob",)),
        ("@bob.smith.", ("user-bob-smith",)),
        ("mail bob@example.com", ()),
        ("@none", ()),
    ],
)
def test_resolve_mentions_returns_user_ids_of_resolved_tokens(
    content: str, expected: tuple[str, ...]
) -> None:
    assert resolve_mentions(content, lookup) == expected


def test_resolve_mentions_lists_a_user_once_whatever_the_spellings() -> None:
    aliases = {"bob": "user-bob", "robert": "user-bob"}

    assert resolve_mentions("@bob @robert", aliases.get) == ("user-bob",)


def test_resolve_mentions_never_looks_up_none() -> None:
    looked_up: list[str] = []

    def recording_lookup(username: str) -> str | None:
        looked_up.append(username)
        return None

    resolve_mentions("@none @bob", recording_lookup)

    assert looked_up == ["bob"]
