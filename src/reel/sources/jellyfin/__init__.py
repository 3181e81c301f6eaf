"""Jellyfin (and the Emby-compatible part of its API) as a Reel source."""
