"""`flowra-migrator`: schema and data migrations (operations.md §6)."""
