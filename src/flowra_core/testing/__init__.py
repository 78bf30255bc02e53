"""What tests drive the core with: `builder.build_test_core()` (the core on the in-memory
adapters of `flowra_core.memory`) and the deterministic clock, ids and tokens of `clock`.

Shipped with the package so applications embedding the core can use them in their own tests.
"""
