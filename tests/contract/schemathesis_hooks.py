"""schemathesis hooks of the contract session (loaded through SCHEMATHESIS_HOOKS)."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    """`cursor` is opaque (http-api.md §1: only a `next_cursor` the server gave is valid, any
    other is a 422); no schema can describe which strings those are, so requests leave it out
    rather than send strings the document cannot promise to accept."""
    if case.query and "cursor" in case.query:
        del case.query["cursor"]
