"""Background jobs: the standalone `flowra-worker` and unified mode inside `flowra-api`."""
