"""Benchmarks (not tests): `make bench-rush` and `make bench-billing`, see docs/performance.md."""
