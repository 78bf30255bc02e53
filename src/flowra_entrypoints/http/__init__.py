"""Litestar HTTP entrypoint."""
