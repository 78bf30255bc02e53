"""In-memory adapters for every port, honouring the same semantics as the real ones.

They are part of the shipped package so applications embedding the core can use them in
their own tests.
"""
