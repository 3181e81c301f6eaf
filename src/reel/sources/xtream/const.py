"""Names and limits of the Xtream Codes adapter."""

from __future__ import annotations

from reel.sources.records import CategoryKind, ItemType, LibraryRecord

KIND = "xtream"
PAGE_SIZE = 5000  # items per ListingPage: big enough for executemany, small enough for memory
SERIES_CONCURRENCY = 4  # panels throttle or ban clients that open many connections
DECODE_IN_THREAD_BYTES = 1 << 20  # larger bodies are decoded off the event loop

LIVE_LIBRARY = LibraryRecord(remote_id="live", title="Live TV", kind="live")
VOD_LIBRARY = LibraryRecord(remote_id="vod", title="Movies", kind="movies")
SERIES_LIBRARY = LibraryRecord(remote_id="series", title="Series", kind="shows")
LIBRARIES = (LIVE_LIBRARY, VOD_LIBRARY, SERIES_LIBRARY)

# player_api action -> (category kind, item type, library, progress phase)
LISTINGS: dict[str, tuple[CategoryKind, ItemType, LibraryRecord, str]] = {
    "get_live_streams": ("live", "channel", LIVE_LIBRARY, "live"),
    "get_vod_streams": ("vod", "movie", VOD_LIBRARY, "vod"),
    "get_series": ("series", "show", SERIES_LIBRARY, "series"),
}
CATEGORY_ACTIONS: dict[CategoryKind, str] = {
    "live": "get_live_categories",
    "vod": "get_vod_categories",
    "series": "get_series_categories",
}
STATE_SERIES_MODIFIED = "series_last_modified"  # ctx.state key: series id -> last_modified
