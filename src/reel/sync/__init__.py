"""The sync engine: adapter listings in, catalog changes out, one transaction per source."""
