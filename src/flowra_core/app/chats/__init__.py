"""Chats and work items: commands, queries, the board and change summaries."""
