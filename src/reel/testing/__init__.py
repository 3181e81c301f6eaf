"""Helpers that ship with Reel so tests, benchmarks and curious users can run fakes."""
