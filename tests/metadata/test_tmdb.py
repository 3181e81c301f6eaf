"""The TMDB client and provider against the fake TMDB served on a loopback port."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import date

import httpx
import pytest

from reel.metadata.tmdb import MemoryCache, NotFound, TmdbClient, TmdbProvider
from reel.metadata.tmdb.client import RateLimiter
from reel.sources.errors import BadResponse, CannotConnect, InvalidAuth
from reel.sources.http import RetryPolicy
from reel.testing.fakes.tmdb import FakeTmdbConfig, FakeTmdbState, build_app
from reel.testing.server import serve_in_thread
from reel.testing.titles import build_world

CONFIG = FakeTmdbConfig(movies=200, shows=30)
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
WORLD = build_world(CONFIG.seed, CONFIG.movies, CONFIG.shows)


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[str, FakeTmdbState]]:
    state = FakeTmdbState()
    with serve_in_thread(build_app(CONFIG, state)) as url:
        yield url + "/3", state


@pytest.fixture
async def provider(fake: tuple[str, FakeTmdbState]) -> AsyncIterator[TmdbProvider]:
    url, state = fake
    state.throttle_next = state.fail_next = state.truncate_next = 0
    state.requests.clear()
    client = TmdbClient(url, CONFIG.api_key, cache=MemoryCache(), rate=0, retry=FAST)
    yield TmdbProvider(client)
    await client.aclose()


def _movie(title: str, year: int):  # type: ignore[no-untyped-def]
    return next(m for m in WORLD.movies if m.title == title and m.year == year)


async def test_search_with_year_finds_the_remake(provider: TmdbProvider) -> None:
    results = await provider.search_movie("The Thing", 1982)
    assert [r.id for r in results] == [_movie("The Thing", 1982).id]
    every = await provider.search_movie("the thing")
    assert {r.year for r in every if r.title == "The Thing"} == {1951, 1982, 2011}


async def test_search_retries_without_year(
    provider: TmdbProvider, fake: tuple[str, FakeTmdbState]
) -> None:
    amelie = _movie("Amélie", 2001)
    results = await provider.search_movie("Amelie", 2002)  # off by one: no hit with the year
    assert amelie.id in [r.id for r in results]
    assert any("year=2002" in r for r in fake[1].requests)


async def test_details_have_appended_parts(provider: TmdbProvider) -> None:
    m = _movie("Alien", 1979)
    details = await provider.movie(m.id)
    assert details.title == "Alien" and details.year == 1979 and details.runtime == m.runtime
    assert details.credits and details.credits.cast and details.credits.crew[0].job == "Director"
    assert details.images and details.images.posters
    assert details.external_ids and details.external_ids.imdb_id == m.imdb_id
    assert details.certification("US") == m.certification
    assert [g.id for g in details.genres] == list(m.genre_ids)


async def test_tv_details_season_and_find(provider: TmdbProvider) -> None:
    show = next(s for s in WORLD.shows if s.name == "Dark")
    details = await provider.tv(show.id)
    assert details.external_ids and details.external_ids.tvdb_id == show.tvdb_id
    assert details.content_rating() == show.content_rating
    season = await provider.season(show.id, 1)
    first = next(x for x in show.seasons if x.number == 1)
    assert [e.name for e in season.episodes] == [e.name for e in first.episodes]
    found = await provider.find_imdb(show.imdb_id)
    assert [r.id for r in found.tv_results] == [show.id] and found.movie_results == []


async def test_episodes_by_absolute_number_and_date(provider: TmdbProvider) -> None:
    anime = next(s for s in WORLD.shows if s.name == "One Piece")
    eps = await provider.episodes_for(anime.id, absolute=7)
    assert [(e.season_number, e.episode_number) for e in eps] == [(1, 7)]
    daily = next(s for s in WORLD.shows if s.name == "The Daily Show")
    target = daily.seasons[-1].episodes[3]
    eps = await provider.episodes_for(daily.id, aired=date.fromisoformat(target.air_date))
    assert [e.name for e in eps] == [target.name]
    eps = await provider.episodes_for(daily.id, season=daily.seasons[-1].number, episodes=(1, 2))
    assert [e.episode_number for e in eps] == [1, 2]


async def test_unknown_id_is_not_found(provider: TmdbProvider) -> None:
    with pytest.raises(NotFound):
        await provider.movie(999_999_999)


async def test_bad_key_is_invalid_auth(fake: tuple[str, FakeTmdbState]) -> None:
    client = TmdbClient(fake[0], "wrong", retry=FAST, rate=0)
    with pytest.raises(InvalidAuth):
        await TmdbProvider(client).search_movie("Alien")
    await client.aclose()


async def test_bearer_token_accepted() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.fake"
    app = build_app(FakeTmdbConfig(api_key=token, movies=50, shows=5))
    client = TmdbClient("http://tmdb.test/3", token, transport=httpx.ASGITransport(app=app), rate=0)
    assert await TmdbProvider(client).search_movie("Alien")
    await client.aclose()


async def test_cache_hits_spare_requests(
    provider: TmdbProvider, fake: tuple[str, FakeTmdbState]
) -> None:
    await provider.search_movie("Heat", 1995)
    sent = len(fake[1].requests)
    again = await provider.search_movie("Heat", 1995)
    assert len(fake[1].requests) == sent and again
    cache = provider.client.cache
    assert isinstance(cache, MemoryCache) and cache.hits >= 1
    assert all("fake-tmdb-key" not in key for key in cache._data)


async def test_429_retry_after_is_honoured(
    provider: TmdbProvider, fake: tuple[str, FakeTmdbState]
) -> None:
    fake[1].throttle_next, fake[1].retry_after = 1, 1
    start = time.monotonic()
    assert await provider.search_movie("Alien", 1979)
    assert time.monotonic() - start >= 0.9


async def test_5xx_retried_then_gives_up(
    provider: TmdbProvider, fake: tuple[str, FakeTmdbState]
) -> None:
    fake[1].fail_next = 2
    assert await provider.search_movie("Aliens", 1986)
    fake[1].fail_next = 10
    with pytest.raises(CannotConnect):
        await provider.search_movie("Heat", 1995)
    fake[1].fail_next = 0


async def test_truncated_body_is_an_error_and_not_cached(
    provider: TmdbProvider, fake: tuple[str, FakeTmdbState]
) -> None:
    fake[1].truncate_next = 1
    with pytest.raises(BadResponse):
        await provider.movie(_movie("Heat", 1995).id)
    assert (await provider.movie(_movie("Heat", 1995).id)).title == "Heat"


async def test_identify_prefers_ids(provider: TmdbProvider) -> None:
    alien = _movie("Alien", 1979)
    by_id = await provider.identify("movie", "garbage", None, {"tmdb": str(alien.id)})
    assert (by_id.tmdb_id, by_id.method) == (alien.id, "id")
    by_imdb = await provider.identify("movie", "garbage", None, {"imdb": alien.imdb_id})
    assert (by_imdb.tmdb_id, by_imdb.method) == (alien.id, "imdb")
    by_name = await provider.identify("movie", "Alien", 1979)
    assert (by_name.tmdb_id, by_name.method) == (alien.id, "search")
    ambiguous = await provider.identify("movie", "Halloween", None)
    assert ambiguous.tmdb_id is None and len(ambiguous.candidates) >= 3


async def test_alternative_titles_lift_a_candidate(provider: TmdbProvider) -> None:
    boot = _movie("Das Boot", 1981)
    result = await provider.identify("movie", "The Boat", 1981)
    assert result.tmdb_id == boot.id


async def test_rate_limiter_paces_and_pauses() -> None:
    limiter = RateLimiter(rate=50, burst=1)
    start = time.monotonic()
    for _ in range(6):
        await limiter.acquire()
    assert time.monotonic() - start >= 0.09
    limiter.pause(0.2)
    start = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - start >= 0.18
