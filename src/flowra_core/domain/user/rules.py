"""Field rules for users (domain.md §1); field names are the HTTP API's."""

from __future__ import annotations

import re
from collections.abc import Callable

from flowra_core.domain.errors import FieldError

USERNAME_MAX_LENGTH = 64
DISPLAY_NAME_MAX_LENGTH = 100
_USERNAME = re.compile(rf"[A-Za-z0-9._-]{{1,{USERNAME_MAX_LENGTH}}}")


def username_error(username: str) -> FieldError | None:
    if _USERNAME.fullmatch(username) is not None:
        return None
    return FieldError(
        "username",
        f"username must be 1–{USERNAME_MAX_LENGTH} characters of letters, digits, '.', '_', '-'",
    )


def email_error(email: str) -> FieldError | None:
    _, at, domain = email.partition("@")
    if at and "." in domain:
        return None
    return FieldError("email", "email must contain '@' followed later by a '.'")


def display_name_error(display_name: str) -> FieldError | None:
    """`display_name` is already trimmed."""
    if 1 <= len(display_name) <= DISPLAY_NAME_MAX_LENGTH:
        return None
    return FieldError(
        "display_name",
        f"display_name must be 1–{DISPLAY_NAME_MAX_LENGTH} characters after trimming",
    )


def display_name_from_claims(name: str | None, username: str) -> str:
    """The IdP full name, else the username; cut to the maximum so a login never fails on it."""
    trimmed = (name or "").strip()[:DISPLAY_NAME_MAX_LENGTH].strip()
    return trimmed or username


def unique_username(wanted: str, taken: Callable[[str], bool]) -> str:
    """`wanted`, or the first free of `wanted_2`, `wanted_3`, … (base cut to stay ≤ 64 chars).

    Uniqueness is case-insensitive: `taken` receives the lowercased candidate (the
    `username_lower` key) and must answer False for the requesting user's own username,
    so a user whose name already carries a suffix keeps it.
    """
    candidate = wanted
    suffix_number = 1
    while taken(candidate.lower()):
        suffix_number += 1
        suffix = f"_{suffix_number}"
        candidate = wanted[: USERNAME_MAX_LENGTH - len(suffix)] + suffix
    return candidate
