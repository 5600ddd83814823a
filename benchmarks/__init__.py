"""Benchmarks of Berth (``make bench``): see docs/benchmarks.md."""
