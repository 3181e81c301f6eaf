"""Reel: one offline-first catalog for everything a person watches."""

__version__ = "0.1.0"
