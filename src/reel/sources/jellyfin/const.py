"""Names and numbers the Jellyfin adapter and its client share."""

from __future__ import annotations

from typing import Final

from reel import __version__
from reel.sources.records import ItemType, LibraryKind

CLIENT_NAME: Final = "Reel"
CLIENT_VERSION: Final = __version__
DEFAULT_DEVICE_NAME: Final = "Reel"

#: Jellyfin counts time in .NET ticks of 100 ns.
TICKS_PER_MS: Final = 10_000

#: Server item kinds we catalog, in the order parents must reach the engine.
ITEM_KINDS: Final[dict[str, ItemType]] = {
    "Movie": "movie",
    "Series": "show",
    "Season": "season",
    "Episode": "episode",
}
PLAYABLE: Final = frozenset({"movie", "episode"})

#: Which item kinds each library kind holds; libraries of other kinds are not listed.
KINDS_BY_LIBRARY: Final[dict[LibraryKind, tuple[str, ...]]] = {
    "movies": ("Movie",),
    "shows": ("Series", "Season", "Episode"),
    "mixed": ("Movie", "Series", "Season", "Episode"),
}

#: CollectionType → our library kind; anything else (folders, homevideos, none) is mixed.
COLLECTION_KINDS: Final[dict[str, LibraryKind]] = {
    "movies": "movies",
    "tvshows": "shows",
    "livetv": "live",
    "music": "music",
}
#: Views that only regroup items listed elsewhere (or hold no video) are skipped.
SKIPPED_COLLECTIONS: Final = frozenset(
    {"boxsets", "playlists", "books", "photos", "music", "musicvideos", "trailers", "livetv"}
)

#: Extra fields appear only when named in `Fields`, so a full listing names what we map.
DETAIL_FIELDS: Final = "Overview,Genres,ProviderIds,DateCreated,SortName,OriginalTitle"
#: Stable paging order: new items sort last, so offsets of earlier pages do not shift.
SORT_BY: Final = "DateCreated,SortName"

PROVIDER_KEYS: Final = {"tmdb": "tmdb", "imdb": "imdb", "tvdb": "tvdb"}

DEFAULT_PAGE_SIZE: Final = 500
PRESENCE_PAGE_SIZE: Final = 2000
DEFAULT_CONCURRENCY: Final = 4
#: Overlap applied to the incremental cut-off to absorb clock skew between us and the server.
SINCE_OVERLAP_S: Final = 120
