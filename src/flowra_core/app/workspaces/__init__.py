"""Workspaces, members and invites."""
