"""User field rules, claim defaults and the `_2`, `_3`, … username rule."""

from __future__ import annotations

import pytest

from flowra_core.domain.user import (
    display_name_error,
    display_name_from_claims,
    email_error,
    unique_username,
    username_error,
)


@pytest.mark.parametrize(
    ("username", "valid"),
    [
        ("a", True),
        ("Alice.Smith_2-x", True),
        ("x" * 64, True),
        ("", False),
        ("x" * 65, False),
        ("alice smith", False),
        (" alice", False),
        ("alice\n", False),
        ("al@ce", False),
        ("ålice", False),
        ("alice+1", False),
    ],
)
def test_username_rule(username: str, valid: bool) -> None:
    error = username_error(username)

    assert (error is None) is valid
    if error is not None:
        assert error.field == "username"


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("alice@example.com", True),
        ("a@b.c", True),
        ("first.last@localhost.localdomain", True),
        ("alice@localhost", False),
        ("alice.example.com", False),
        ("alice.smith@example", False),
        ("", False),
    ],
)
def test_email_rule(email: str, valid: bool) -> None:
    error = email_error(email)

    assert (error is None) is valid
    if error is not None:
        assert error.field == "email"


@pytest.mark.parametrize(
    ("display_name", "valid"),
    [("A", True), ("x" * 100, True), ("é" * 100, True), ("", False), ("x" * 101, False)],
)
def test_display_name_rule(display_name: str, valid: bool) -> None:
    error = display_name_error(display_name)

    assert (error is None) is valid
    if error is not None:
        assert error.field == "display_name"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Alice Smith", "Alice Smith"),
        ("  Alice  ", "Alice"),
        (None, "alice"),
        ("", "alice"),
        ("   ", "alice"),
        ("x" * 150, "x" * 100),
        ("x" * 99 + " y", "x" * 99),
    ],
)
def test_display_name_from_claims(name: str | None, expected: str) -> None:
    assert display_name_from_claims(name, "alice") == expected


def taken_from(*usernames: str) -> set[str]:
    return {username.lower() for username in usernames}


@pytest.mark.parametrize(
    ("wanted", "taken", "expected"),
    [
        ("alice", taken_from(), "alice"),
        ("alice", taken_from("bob"), "alice"),
        ("alice", taken_from("alice"), "alice_2"),
        ("Alice", taken_from("ALICE"), "Alice_2"),
        ("alice", taken_from("alice", "Alice_2"), "alice_3"),
        ("alice", taken_from("alice", "alice_2", "alice_3", "alice_4"), "alice_5"),
        ("alice", taken_from("alice", "alice_3"), "alice_2"),
        ("x" * 64, taken_from("x" * 64), "x" * 62 + "_2"),
        ("x" * 63, taken_from("x" * 63), "x" * 62 + "_2"),
        (
            "x" * 64,
            taken_from("x" * 64, *(f"{'x' * 62}_{n}" for n in range(2, 10))),
            "x" * 61 + "_10",
        ),
    ],
)
def test_unique_username(wanted: str, taken: set[str], expected: str) -> None:
    result = unique_username(wanted, taken.__contains__)

    assert result == expected
    assert len(result) <= 64
    assert username_error(result) is None


def test_unique_username_asks_with_the_lowercased_candidate() -> None:
    asked: list[str] = []

    def taken(candidate: str) -> bool:
        asked.append(candidate)
        return candidate == "alice"

    assert unique_username("ALICE", taken) == "ALICE_2"
    assert asked == ["alice", "alice_2"]
