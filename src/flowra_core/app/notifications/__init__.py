"""Notification inboxes and the dispatch of notifications from commits."""
