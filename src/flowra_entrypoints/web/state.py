"""What the web client keeps in the app state: its session book, CSRF tokens, templates."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.datastructures import State

from flowra_entrypoints.http.sessions import SessionBook
from flowra_entrypoints.web.sessions import CsrfTokens
from flowra_entrypoints.web.templating import Templates


@dataclass(frozen=True, slots=True)
class WebState:
    sessions: SessionBook
    csrf: CsrfTokens
    templates: Templates
    upload_max_size: int
    secure_cookies: bool  # Secure on the session cookie: https public URL (or production)


def web_state(state: State) -> WebState:
    web: WebState = state.web
    return web
