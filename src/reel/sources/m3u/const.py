"""Names and conventions of the M3U adapter, kept in one place for readers and tests."""

from __future__ import annotations

from typing import Final, Literal

KIND: Final = "m3u"

EntryKind = Literal["channel", "movie", "series"]

# Libraries: one per kind of entry, created when the first such entry shows up.
LIBRARIES: Final[dict[EntryKind, tuple[str, str]]] = {
    # entry kind: (library remote id, title)
    "channel": ("live", "Live TV"),
    "movie": ("movies", "Movies"),
    "series": ("series", "Series"),
}

# tvg-type / type attribute values providers use to mark non-live entries.
TYPE_WORDS: Final[dict[str, EntryKind]] = {
    "live": "channel", "channel": "channel", "tv": "channel", "radio": "channel",
    "movie": "movie", "movies": "movie", "vod": "movie", "film": "movie", "media": "movie",
    "series": "series", "serie": "series", "show": "series", "shows": "series",
    "tvshow": "series", "episode": "series",
}  # fmt: skip

# group-title prefixes of panels that mix VOD into one playlist ("VOD | Action",
# "Movies: Drama", "SERIES - Kids"); matched only when a separator follows the word.
GROUP_PREFIXES: Final[dict[str, EntryKind]] = {
    "vod": "movie", "movie": "movie", "movies": "movie", "films": "movie", "film": "movie",
    "series": "series", "tv series": "series", "tv shows": "series", "shows": "series",
}  # fmt: skip
GROUP_SEPARATORS: Final = " |:-/»>"

# Xtream-style stream paths: /live|movie|series/<user>/<pass>/<id>.<ext>.
XTREAM_PATH_KINDS: Final[dict[str, EntryKind]] = {
    "live": "channel", "movie": "movie", "series": "series", "timeshift": "channel",
}  # fmt: skip

# Placeholders written into stored stream URLs instead of the account's credentials.
USER_MARK: Final = "{username}"
PASS_MARK: Final = "{password}"

CHUNK_BYTES: Final = 256 * 1024
ITEM_PAGE: Final = 2000
PROGRAMME_PAGE: Final = 5000
MAX_KEY: Final = 255  # column width of remote ids and EPG ids

# Short bodies classic panels send with status 200 instead of a playlist.
AUTH_ERROR_BODIES: Final = (
    b"INVALID_CREDENTIALS", b"EXPIRED", b"BANNED", b"DISABLED", b"NO_CREDENTIALS",
)  # fmt: skip
