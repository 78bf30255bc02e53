"""The interfaces the core needs from the outside world (typing.Protocol, domain types only)."""
