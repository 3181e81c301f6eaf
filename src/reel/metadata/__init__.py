"""Metadata for local files: recognise names, read and write NFO files, match on TMDB.

Nothing here touches the catalog; the local source and the metadata jobs wire these
pieces to the database.
"""
