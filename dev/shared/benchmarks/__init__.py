"""Benchmarks of the framework: python -m dev.shared.benchmarks.bench_<name>."""
