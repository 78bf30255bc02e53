"""Outgoing webhook HTTP calls."""
