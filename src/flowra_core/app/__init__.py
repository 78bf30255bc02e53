"""Use cases: commands and queries over the ports, with one authorization policy."""
