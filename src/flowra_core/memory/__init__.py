"""In-memory adapters of every port: the embedded profile's storage and bus (in production, not
only in tests) and the fakes tests drive the core with (`flowra_core.testing.builder`)."""
