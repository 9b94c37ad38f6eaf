"""Benchmark tooling: a deterministic data generator for realistic, large databases."""
