"""Per-user watch state: positions, watched marks, home lists, and write-back to sources."""
