"""CSRF tokens are bound to their session."""

from __future__ import annotations

from flowra_entrypoints.web.sessions import CsrfTokens


def test_a_token_is_valid_for_its_session_only() -> None:
    tokens = CsrfTokens("a-secret-of-at-least-32-bytes-long!!")
    mine = tokens.token_for("session-a")
    assert tokens.is_valid("session-a", mine)
    assert not tokens.is_valid("session-b", mine)
    assert not tokens.is_valid("session-a", None)
    assert not tokens.is_valid("session-a", mine[:-1])
    assert not CsrfTokens("another-secret-of-at-least-32-bytes").is_valid("session-a", mine)
