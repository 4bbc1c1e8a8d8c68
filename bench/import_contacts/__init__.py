"""Benchmark of the contact import, time-zone assignment and export (issue #3)."""
