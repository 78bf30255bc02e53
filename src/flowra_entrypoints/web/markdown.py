"""Message bodies and descriptions: Markdown with raw HTML disabled, sanitised by nh3, with
mentions (`@bob`) and tags (`#status`) shown as chips."""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
    "strikethrough"
)
_TAGS = {"p", "br", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
_TAGS |= {"h1", "h2", "h3", "h4", "h5", "h6", "hr", "span"}
_ATTRIBUTES = {"a": {"href", "title"}, "span": {"class"}, "ol": {"start"}}
# Text between tags; chips never go inside code or links.
_PIECES = re.compile(r"(<[^>]+>)")
_CHIP = re.compile(r"(?<![\w@#&/])([@#])([A-Za-z][\w.-]*\w|[A-Za-z])")
_NO_CHIPS = ("code", "pre", "a")


def _chips(text: str) -> str:
    return _CHIP.sub(
        lambda m: f'<span class="chip {"mention" if m[1] == "@" else "tag"}">{m[1]}{m[2]}</span>',
        text,
    )


def _with_chips(html: str) -> str:
    out: list[str] = []
    depth = 0  # how many code/pre/a elements are open
    for piece in _PIECES.split(html):
        if piece.startswith("<"):
            name = piece.strip("</>").split()[0].lower() if piece.strip("</>") else ""
            if name in _NO_CHIPS:
                depth += -1 if piece.startswith("</") else 1
            out.append(piece)
        else:
            out.append(piece if depth > 0 else _chips(piece))
    return "".join(out)


# Rendering is most of a chat page's server time (~0.25 ms a message), and the same
# texts are rendered again on every page load and live update: keep the recent ones.
@lru_cache(maxsize=4096)
def render_markdown(text: str) -> str:
    """Safe HTML for `text`; any HTML in it is shown as text, scripts never survive."""
    html = _with_chips(_md.render(text))
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
