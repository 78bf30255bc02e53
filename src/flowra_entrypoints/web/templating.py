"""Jinja2 templates of the web client (autoescaped), and the security headers of its pages."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from litestar.datastructures import ResponseHeader
from litestar.response import Response
from markupsafe import Markup

from flowra_entrypoints.web.markdown import render_markdown

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIR = HERE / "templates"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
SECURITY_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=CSP),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
]


@cache
def _asset_version(name: str) -> str:
    """A short content hash, so a changed asset gets a new URL (browsers may cache it)."""
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    return f"/static/{name}?v={_asset_version(name)}"


def _when(value: str | None) -> str:
    """An ISO timestamp as `2026-03-01 09:12` (UTC), for people."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.strftime("%Y-%m-%d %H:%M")


def _day(value: str | None) -> str:
    return _when(value)[:10]


def _markdown(text: str | None) -> Markup:
    return Markup(render_markdown(text or ""))  # noqa: S704 - sanitised by nh3


class Templates:
    def __init__(self, directory: Path = TEMPLATE_DIR) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(directory),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.globals["static_url"] = static_url
        self._env.filters["when"] = _when
        self._env.filters["day"] = _day
        self._env.filters["markdown"] = _markdown

    def render(self, name: str, **context: Any) -> str:
        return self._env.get_template(name).render(**context)

    def response(
        self,
        name: str,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> Response[str]:
        return Response(
            self.render(name, **context),
            status_code=status_code,
            media_type="text/html",
            headers=headers,
        )
