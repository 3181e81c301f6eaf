"""The TMDB v3 provider: typed models, a rate-limited caching client, and identification."""

from reel.metadata.tmdb.cache import MemoryCache, ResponseCache
from reel.metadata.tmdb.client import NotFound, TmdbClient
from reel.metadata.tmdb.provider import Identification, TmdbProvider

__all__ = [
    "Identification",
    "MemoryCache",
    "NotFound",
    "ResponseCache",
    "TmdbClient",
    "TmdbProvider",
]
