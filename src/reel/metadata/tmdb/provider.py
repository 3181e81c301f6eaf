"""What Reel asks TMDB: searches, details, seasons, lookups by IMDb id, and identification.

Identification trusts ids before names: an id from an NFO or a `{tmdb-603}` tag decides
the match outright; an IMDb id is looked up with /find; only then are titles searched
and scored (`reel.metadata.match`). A year in the name narrows the search, and the
search is repeated without it when that finds nothing, since release years disagree
by one across countries.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import date
from typing import Literal

import msgspec

from reel.metadata.match import DEFAULT_THRESHOLD, Candidate, MatchResult, Scored, rank
from reel.metadata.tmdb.client import NotFound, TmdbClient
from reel.metadata.tmdb.models import (
    Configuration,
    Episode,
    FindResult,
    MovieDetails,
    MovieResult,
    SearchPage,
    SeasonDetails,
    TvDetails,
    TvResult,
)

log = logging.getLogger(__name__)

MediaKind = Literal["movie", "tv"]
SEARCH_TTL = 3 * 86400.0
DETAILS_TTL = 7 * 86400.0
MOVIE_APPEND = "credits,images,external_ids,release_dates,alternative_titles"
TV_APPEND = "credits,images,external_ids,content_ratings,alternative_titles"
# Below the threshold but this close, alternative titles may still lift a candidate.
_ALT_TITLE_FLOOR = 0.55
_ALT_TITLE_LOOKUPS = 3


class Identification(msgspec.Struct, frozen=True):
    """The outcome of identifying one film or show; `tmdb_id` is None when unidentified."""

    kind: MediaKind
    tmdb_id: int | None
    confidence: float
    method: Literal["id", "imdb", "search", "none"]
    candidates: tuple[Scored, ...] = ()


def _without_and(title: str) -> str:
    """Scene names spell "&" as "And", which TMDB's word search does not equate."""
    return re.sub(r"\s+(?:and|&)\s+", " ", title, flags=re.I)


def _movie_candidate(r: MovieResult) -> Candidate:
    return Candidate(r.id, r.title, r.year, r.original_title, (), r.popularity)


def _tv_candidate(r: TvResult) -> Candidate:
    return Candidate(r.id, r.name, r.year, r.original_name, (), r.popularity)


class TmdbProvider:
    """TMDB calls typed; `client` owns HTTP, limits and the cache."""

    def __init__(self, client: TmdbClient, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.client = client
        self.threshold = threshold

    async def search_movie(self, title: str, year: int | None = None) -> list[MovieResult]:
        params: dict[str, str | int] = {"query": title, "include_adult": "false"}
        if year:
            page = await self.client.get(
                "search/movie", SearchPage[MovieResult], {**params, "year": year}, ttl_s=SEARCH_TTL
            )
            if page.results:
                return page.results
        page = await self.client.get(
            "search/movie", SearchPage[MovieResult], params, ttl_s=SEARCH_TTL
        )
        return page.results

    async def search_tv(self, title: str, year: int | None = None) -> list[TvResult]:
        params: dict[str, str | int] = {"query": title, "include_adult": "false"}
        if year:
            page = await self.client.get(
                "search/tv", SearchPage[TvResult], {**params, "first_air_date_year": year},
                ttl_s=SEARCH_TTL,
            )  # fmt: skip
            if page.results:
                return page.results
        page = await self.client.get("search/tv", SearchPage[TvResult], params, ttl_s=SEARCH_TTL)
        return page.results

    async def movie(self, tmdb_id: int) -> MovieDetails:
        return await self.client.get(
            f"movie/{tmdb_id}",
            MovieDetails,
            {"append_to_response": MOVIE_APPEND},
            ttl_s=DETAILS_TTL,
        )

    async def tv(self, tmdb_id: int) -> TvDetails:
        return await self.client.get(
            f"tv/{tmdb_id}", TvDetails, {"append_to_response": TV_APPEND}, ttl_s=DETAILS_TTL
        )

    async def season(self, tv_id: int, number: int) -> SeasonDetails:
        return await self.client.get(
            f"tv/{tv_id}/season/{number}", SeasonDetails, ttl_s=DETAILS_TTL
        )

    async def find_imdb(self, imdb_id: str) -> FindResult:
        return await self.client.get(
            f"find/{imdb_id}", FindResult, {"external_source": "imdb_id"}, ttl_s=DETAILS_TTL
        )

    async def configuration(self) -> Configuration:
        return await self.client.get("configuration", Configuration, ttl_s=3 * 86400)

    async def identify(
        self,
        kind: MediaKind,
        title: str,
        year: int | None = None,
        ids: Mapping[str, str] | None = None,
    ) -> Identification:
        """Decide which TMDB record a film or show is; ids (NFO, name tags) win over titles."""
        ids = ids or {}
        tmdb = ids.get("tmdb", "")
        if tmdb.isdigit():
            try:
                await (self.movie(int(tmdb)) if kind == "movie" else self.tv(int(tmdb)))
                return Identification(kind, int(tmdb), 1.0, "id")
            except NotFound:
                log.info("TMDB id %s from the file's metadata does not exist; searching", tmdb)
        imdb = ids.get("imdb", "")
        if imdb.startswith("tt"):
            found = await self.find_imdb(imdb)
            hits = found.movie_results if kind == "movie" else found.tv_results
            if hits:
                return Identification(kind, hits[0].id, 1.0, "imdb")
        result = await (
            self.rank_movie(title, year) if kind == "movie" else self.rank_tv(title, year)
        )
        if result.accepted is not None:
            accepted = result.accepted
            return Identification(
                kind, accepted.candidate.id, accepted.confidence, "search", result.ranked
            )
        best = result.ranked[0].confidence if result.ranked else 0.0
        return Identification(kind, None, best, "none", result.ranked)

    async def rank_movie(self, title: str, year: int | None = None) -> MatchResult:
        results = await self.search_movie(title, year) if title.strip() else []
        if not results and (plain := _without_and(title)) != title:
            results = await self.search_movie(plain, year)
        return await self._rank_with_alternatives(
            "movie", title, year, [_movie_candidate(r) for r in results]
        )

    async def rank_tv(self, title: str, year: int | None = None) -> MatchResult:
        results = await self.search_tv(title, year) if title.strip() else []
        if not results and (plain := _without_and(title)) != title:
            results = await self.search_tv(plain, year)
        return await self._rank_with_alternatives(
            "tv", title, year, [_tv_candidate(r) for r in results]
        )

    async def _rank_with_alternatives(
        self, kind: MediaKind, title: str, year: int | None, candidates: list[Candidate]
    ) -> MatchResult:
        """Rank; when nothing clears the bar, fetch alternative titles of the closest few."""
        result = rank(title, year, candidates, self.threshold)
        if result.accepted is not None or not result.ranked:
            return result
        near = [s for s in result.ranked[:_ALT_TITLE_LOOKUPS] if s.confidence >= _ALT_TITLE_FLOOR]
        if not near:
            return result
        enriched = {c.id: c for c in candidates}
        for scored in near:
            cid = scored.candidate.id
            try:
                if kind == "movie":
                    movie = await self.movie(cid)
                    alts = movie.alternative_titles.titles if movie.alternative_titles else []
                else:
                    show = await self.tv(cid)
                    alts = show.alternative_titles.results if show.alternative_titles else []
            except NotFound:
                continue
            enriched[cid] = msgspec.structs.replace(
                enriched[cid], alt_titles=tuple(a.title for a in alts)
            )
        return rank(title, year, list(enriched.values()), self.threshold)

    async def episodes_for(
        self,
        tv_id: int,
        season: int | None = None,
        episodes: tuple[int, ...] = (),
        absolute: int | None = None,
        aired: date | None = None,
    ) -> list[Episode]:
        """The TMDB episodes a file holds: by season/episode, absolute number or air date."""
        if season is not None and episodes:
            details = await self._season_or_none(tv_id, season)
            wanted = set(episodes)
            return [e for e in details.episodes if e.episode_number in wanted] if details else []
        show = await self.tv(tv_id)
        regular = sorted(
            (s for s in show.seasons if s.season_number > 0), key=lambda s: s.season_number
        )
        if absolute is not None:
            remaining = absolute
            for summary in regular:
                if remaining <= summary.episode_count:
                    details = await self._season_or_none(tv_id, summary.season_number)
                    ordered = (
                        sorted(details.episodes, key=lambda e: e.episode_number) if details else []
                    )
                    return ordered[remaining - 1 : remaining]
                remaining -= summary.episode_count
            return []
        if aired is not None:
            day = aired.isoformat()
            candidates = [s for s in regular if (s.air_date or "") <= day] or regular
            for summary in reversed(candidates):
                details = await self._season_or_none(tv_id, summary.season_number)
                hits = [e for e in (details.episodes if details else []) if e.air_date == day]
                if hits:
                    return hits
        return []

    async def _season_or_none(self, tv_id: int, number: int) -> SeasonDetails | None:
        try:
            return await self.season(tv_id, number)
        except NotFound:
            return None
