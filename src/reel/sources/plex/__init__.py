"""Plex Media Server source: plex.tv sign-in and discovery, listing, watch state, streams."""
