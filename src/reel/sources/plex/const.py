"""Plex protocol constants shared by the client, the sign-in flow and the adapter."""

from __future__ import annotations

from typing import Final

from reel import __version__

PRODUCT: Final = "Reel"
VERSION: Final = __version__
PLEX_TV_URL: Final = "https://plex.tv"
AUTH_APP_URL: Final = "https://app.plex.tv/auth#?"
LIBRARY_IDENTIFIER: Final = "com.plexapp.plugins.library"
# Sent so `includeFields` means "only these fields" (API 1.0+, PMS >= 1.41.9); older servers
# ignore the header and return whole records, which is slower but still correct.
PMS_API_VERSION: Final = "1.1.1"

# Plex metadata type numbers (`type=` in media queries) and the item types we keep.
TYPE_NUMBERS: Final[dict[str, int]] = {"movie": 1, "show": 2, "season": 3, "episode": 4}
SECTION_KINDS: Final[dict[str, str]] = {"movie": "movies", "show": "shows"}
SECTION_ITEM_TYPES: Final[dict[str, tuple[str, ...]]] = {
    "movie": ("movie",),
    "show": ("show", "season", "episode"),
}
WATCHABLE_TYPES: Final = frozenset({"movie", "episode"})

# Items per listing page (a source's `page_size` setting overrides it). Each page costs a
# request, a server query and a worker round trip: a 96k-item first sync took 5.3-5.9 s
# with 2,500 against 6.1-6.2 s with 1,000, and a page stays a few MB.
PAGE_SIZE: Final = 2500
ID_PAGE_SIZE: Final = 5000
PAGE_CONCURRENCY: Final = 4
# Our `since` comes from Reel's clock, the server filters with its own: look back this far.
CLOCK_SKEW_S: Final = 300
PROBE_TIMEOUT_S: Final = 3.0
