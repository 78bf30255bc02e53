"""The shipped assets: within the size budget, third-party ones with their licence."""

from __future__ import annotations

import gzip
from pathlib import Path

from flowra_entrypoints.web.templating import STATIC_DIR

BUDGET = 150 * 1024  # JS + CSS, gzipped (issue 15)


def test_javascript_and_css_fit_the_budget_gzipped() -> None:
    shipped = [*STATIC_DIR.rglob("*.js"), *STATIC_DIR.rglob("*.css")]
    assert len(shipped) >= 5
    total = sum(len(gzip.compress(path.read_bytes(), 9)) for path in shipped)
    assert total <= BUDGET, f"{total} bytes gzipped"


def test_every_vendored_package_keeps_its_licence() -> None:
    vendored = [p for p in (STATIC_DIR / "vendor").iterdir() if p.is_dir()]
    assert {p.name for p in vendored} == {"htmx", "pico"}
    for package in vendored:
        assert any(Path(f).name.startswith("LICENSE") for f in package.iterdir()), package
