"""Message markdown: raw HTML and script URLs never survive; chips for mentions and tags."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from flowra_entrypoints.web.markdown import render_markdown


class Elements(HTMLParser):
    """The elements of rendered HTML with their attributes (what a browser would build)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[x](javascript:alert(1))",
        "![x](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "<iframe src=//evil.example></iframe>",
        '<svg onload="alert(1)"></svg>',
        "[x](JaVaScRiPt:alert(1))",
        "<<script>script>alert(1)<</script>/script>",
    ],
)
def test_hostile_markup_is_shown_as_text(text: str) -> None:
    elements = Elements()
    elements.feed(render_markdown(text))
    assert {tag for tag, _ in elements.found} <= {"p"}, elements.found
    assert all(not attributes for _, attributes in elements.found), elements.found


def test_links_open_safely_and_formatting_survives() -> None:
    html = render_markdown("**bold** and [docs](https://example.com/a?b=1)")
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.com/a?b=1" rel="noopener noreferrer">docs</a>' in html


def test_mentions_and_tags_are_chips_outside_code_and_links() -> None:
    html = render_markdown("@bob see #status and `@code #x` or [#y](https://e.com) mail a@b.c")
    assert '<span class="chip mention">@bob</span>' in html
    assert '<span class="chip tag">#status</span>' in html
    assert "<code>@code #x</code>" in html
    assert ">#y</a>" in html
    assert "a@b.c" in html
    assert html.count("chip") == 2
