"""Benchmark of batched DNC lookups (issue #3)."""
