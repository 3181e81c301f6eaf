"""TMDB v3 responses as msgspec structs: only the fields Reel uses, unknown ones ignored.

TMDB sends null for missing images and "" for an unknown release date, so every optional
field is nullable and years are read through `year_of`.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

T = TypeVar("T")


def year_of(day: str | None) -> int | None:
    """The year of a TMDB date ("2001-04-25", "" or null)."""
    if day and len(day) >= 4 and day[:4].isdigit():
        return int(day[:4])
    return None


class Genre(msgspec.Struct):
    id: int
    name: str = ""


class MovieResult(msgspec.Struct):
    id: int
    title: str = ""
    original_title: str | None = None
    original_language: str | None = None
    release_date: str | None = None
    overview: str | None = None
    poster_path: str | None = None
    backdrop_path: str | None = None
    popularity: float = 0.0
    genre_ids: list[int] = msgspec.field(default_factory=list)
    vote_average: float | None = None
    vote_count: int | None = None

    @property
    def year(self) -> int | None:
        return year_of(self.release_date)


class TvResult(msgspec.Struct):
    id: int
    name: str = ""
    original_name: str | None = None
    original_language: str | None = None
    first_air_date: str | None = None
    overview: str | None = None
    poster_path: str | None = None
    backdrop_path: str | None = None
    popularity: float = 0.0
    genre_ids: list[int] = msgspec.field(default_factory=list)
    origin_country: list[str] = msgspec.field(default_factory=list)
    vote_average: float | None = None

    @property
    def year(self) -> int | None:
        return year_of(self.first_air_date)


class SearchPage(msgspec.Struct, Generic[T]):
    results: list[T] = msgspec.field(default_factory=list)
    page: int = 1
    total_pages: int = 0
    total_results: int = 0


class CastMember(msgspec.Struct):
    id: int
    name: str
    character: str | None = None
    order: int = 0
    profile_path: str | None = None


class CrewMember(msgspec.Struct):
    id: int
    name: str
    job: str | None = None
    department: str | None = None


class Credits(msgspec.Struct):
    cast: list[CastMember] = msgspec.field(default_factory=list)
    crew: list[CrewMember] = msgspec.field(default_factory=list)


class Image(msgspec.Struct):
    file_path: str
    width: int | None = None
    height: int | None = None
    iso_639_1: str | None = None
    vote_average: float | None = None


class Images(msgspec.Struct):
    posters: list[Image] = msgspec.field(default_factory=list)
    backdrops: list[Image] = msgspec.field(default_factory=list)
    logos: list[Image] = msgspec.field(default_factory=list)


class ExternalIds(msgspec.Struct):
    imdb_id: str | None = None
    tvdb_id: int | None = None
    wikidata_id: str | None = None


class ReleaseDate(msgspec.Struct):
    certification: str = ""
    release_date: str | None = None
    type: int | None = None


class CountryReleases(msgspec.Struct):
    iso_3166_1: str
    release_dates: list[ReleaseDate] = msgspec.field(default_factory=list)


class ReleaseDates(msgspec.Struct):
    results: list[CountryReleases] = msgspec.field(default_factory=list)


class AltTitle(msgspec.Struct):
    title: str
    iso_3166_1: str | None = None


class MovieAltTitles(msgspec.Struct):
    titles: list[AltTitle] = msgspec.field(default_factory=list)


class TvAltTitles(msgspec.Struct):
    results: list[AltTitle] = msgspec.field(default_factory=list)


class ContentRating(msgspec.Struct):
    iso_3166_1: str
    rating: str = ""


class ContentRatings(msgspec.Struct):
    results: list[ContentRating] = msgspec.field(default_factory=list)


class MovieDetails(msgspec.Struct):
    id: int
    title: str = ""
    original_title: str | None = None
    original_language: str | None = None
    release_date: str | None = None
    overview: str | None = None
    tagline: str | None = None
    runtime: int | None = None
    genres: list[Genre] = msgspec.field(default_factory=list)
    popularity: float = 0.0
    vote_average: float | None = None
    vote_count: int | None = None
    imdb_id: str | None = None
    poster_path: str | None = None
    backdrop_path: str | None = None
    status: str | None = None
    credits: Credits | None = None
    images: Images | None = None
    external_ids: ExternalIds | None = None
    release_dates: ReleaseDates | None = None
    alternative_titles: MovieAltTitles | None = None

    @property
    def year(self) -> int | None:
        return year_of(self.release_date)

    def certification(self, country: str = "US") -> str | None:
        for entry in self.release_dates.results if self.release_dates else []:
            if entry.iso_3166_1 == country:
                for release in entry.release_dates:
                    if release.certification:
                        return release.certification
        return None


class SeasonSummary(msgspec.Struct):
    season_number: int
    episode_count: int = 0
    id: int | None = None
    name: str | None = None
    air_date: str | None = None
    poster_path: str | None = None


class TvDetails(msgspec.Struct):
    id: int
    name: str = ""
    original_name: str | None = None
    original_language: str | None = None
    first_air_date: str | None = None
    overview: str | None = None
    genres: list[Genre] = msgspec.field(default_factory=list)
    popularity: float = 0.0
    vote_average: float | None = None
    episode_run_time: list[int] = msgspec.field(default_factory=list)
    number_of_seasons: int | None = None
    seasons: list[SeasonSummary] = msgspec.field(default_factory=list)
    poster_path: str | None = None
    backdrop_path: str | None = None
    credits: Credits | None = None
    images: Images | None = None
    external_ids: ExternalIds | None = None
    content_ratings: ContentRatings | None = None
    alternative_titles: TvAltTitles | None = None

    @property
    def year(self) -> int | None:
        return year_of(self.first_air_date)

    def content_rating(self, country: str = "US") -> str | None:
        for entry in self.content_ratings.results if self.content_ratings else []:
            if entry.iso_3166_1 == country and entry.rating:
                return entry.rating
        return None


class Episode(msgspec.Struct):
    id: int
    episode_number: int
    season_number: int
    name: str = ""
    overview: str | None = None
    air_date: str | None = None
    runtime: int | None = None
    still_path: str | None = None
    vote_average: float | None = None


class SeasonDetails(msgspec.Struct):
    season_number: int
    id: int | None = None
    name: str | None = None
    air_date: str | None = None
    overview: str | None = None
    poster_path: str | None = None
    episodes: list[Episode] = msgspec.field(default_factory=list)


class FindResult(msgspec.Struct):
    movie_results: list[MovieResult] = msgspec.field(default_factory=list)
    tv_results: list[TvResult] = msgspec.field(default_factory=list)


class ImagesConfig(msgspec.Struct):
    secure_base_url: str = ""
    base_url: str = ""
    poster_sizes: list[str] = msgspec.field(default_factory=list)
    backdrop_sizes: list[str] = msgspec.field(default_factory=list)
    still_sizes: list[str] = msgspec.field(default_factory=list)


class Configuration(msgspec.Struct):
    images: ImagesConfig = msgspec.field(default_factory=ImagesConfig)
