"""M3U / M3U Plus playlists (local or remote) with XMLTV guides."""
