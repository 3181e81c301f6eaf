"""A fake TMDB v3 API serving the deterministic `reel.testing.titles` world.

Shapes follow the real API (https://developer.themoviedb.org/reference): search pages
of 20 with `total_pages`/`total_results`, `release_date: ""` for undated films, movie
`alternative_titles.titles` but tv `alternative_titles.results`, `status_code` error
bodies (7 bad key, 34 not found, 25 over the rate limit with `Retry-After`), 422 beyond
page 500. Search matches every query word as a prefix of a word in the title, original
title or an alternative title, like TMDB's. Faults switch on at runtime through `state`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reel.catalog.text import fold
from reel.testing.fakes import FakeServer
from reel.testing.fakes.tmdb_shapes import (
    movie_details,
    movie_result,
    png,
    season_details,
    tv_details,
    tv_result,
)
from reel.testing.titles import Movie, Show, World, build_world

PAGE_SIZE = 20
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class FakeTmdbConfig:
    api_key: str = "fake-tmdb-key"
    seed: int = 7
    movies: int = 1500
    shows: int = 200
    rate_limit: int = 0  # requests per second before 429s; 0 means unlimited


@dataclass
class FakeTmdbState:
    """Runtime fault switches and a request log that tests read."""

    throttle_next: int = 0  # answer the next N requests with 429
    retry_after: int = 1
    fail_next: int = 0  # answer the next N requests with `fail_status`
    fail_status: int = 503
    delay_s: float = 0.0
    truncate_next: int = 0  # cut the next N JSON bodies in half
    requests: list[str] = field(default_factory=list)
    _window: list[float] = field(default_factory=list)


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text).replace("'", "").replace("’", ""))


class _Index:
    """Word lists per record so search stays cheap on large worlds."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.movie_words = [
            (m, [_words(t) for t in (m.title, m.original_title, *m.alt_titles)])
            for m in world.movies
        ]
        self.show_words = [
            (s, [_words(t) for t in (s.name, s.original_name, *s.alt_titles)]) for s in world.shows
        ]
        self.by_imdb: dict[str, Movie | Show] = {m.imdb_id: m for m in world.movies}
        self.by_imdb.update({s.imdb_id: s for s in world.shows})


def _matches(query: list[str], titles: list[list[str]]) -> tuple[bool, bool]:
    """(matches at all, matches one title exactly)."""
    hit = exact = False
    for words in titles:
        if all(any(w.startswith(q) for w in words) for q in query):
            hit = True
            exact = exact or words == query
    return hit, exact


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"status_code": code, "status_message": message, "success": False}
    return JSONResponse(body, status_code=status, headers=headers)


def build_app(
    config: FakeTmdbConfig | None = None, state: FakeTmdbState | None = None
) -> Starlette:
    """The ASGI app; `app.state.fake` holds the `FakeTmdbState` for runtime faults."""
    config = config or FakeTmdbConfig()
    state = state or FakeTmdbState()
    index = _Index(build_world(config.seed, config.movies, config.shows))
    world = index.world

    async def guard(request: Request) -> Response | None:
        state.requests.append(
            request.url.path + ("?" + request.url.query if request.url.query else "")
        )
        if state.delay_s:
            await asyncio.sleep(state.delay_s)
        key = request.query_params.get("api_key")
        auth = request.headers.get("authorization", "")
        if key != config.api_key and auth != f"Bearer {config.api_key}":
            return _error(401, 7, "Invalid API key: You must be granted a valid key.")
        if state.throttle_next > 0:
            state.throttle_next -= 1
            return _throttled()
        if config.rate_limit:
            now = time.monotonic()
            state._window = [t for t in state._window if now - t < 1.0]
            if len(state._window) >= config.rate_limit:
                return _throttled()
            state._window.append(now)
        if state.fail_next > 0:
            state.fail_next -= 1
            return _error(
                state.fail_status, 11, "Internal error: Something went wrong, contact TMDb."
            )
        return None

    def _throttled() -> Response:
        return _error(
            429,
            25,
            "Your request count (#) is over the allowed limit of (40).",
            {"Retry-After": str(state.retry_after)},
        )

    def reply(body: dict[str, Any]) -> Response:
        response = JSONResponse(body)
        if state.truncate_next > 0:
            state.truncate_next -= 1
            cut = response.body[: len(response.body) // 2]
            return Response(cut, media_type="application/json")
        return response

    def page_of(request: Request, results: list[dict[str, Any]]) -> Response:
        try:
            page = int(request.query_params.get("page", "1"))
        except ValueError:
            page = 1
        if page < 1 or page > 500:
            return JSONResponse(
                {"errors": ["page must be less than or equal to 500"], "success": False},
                status_code=422,
            )
        total = len(results)
        pages = max(1, -(-total // PAGE_SIZE)) if total else 1
        chunk = results[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return reply(
            {
                "page": page,
                "results": chunk,
                "total_pages": pages if total else 1,
                "total_results": total,
            }
        )

    def _year(params: Any, *names: str) -> int | None:
        for name in names:
            value = params.get(name)
            if value and value.isdigit():
                return int(value)
        return None

    async def search_movie(request: Request) -> Response:
        if (denied := await guard(request)) is not None:
            return denied
        query = _words(request.query_params.get("query", ""))
        year = _year(request.query_params, "year", "primary_release_year")
        hits: list[tuple[bool, float, Movie]] = []
        if query:
            for m, titles in index.movie_words:
                hit, exact = _matches(query, titles)
                if hit and (year is None or m.year == year):
                    hits.append((exact, m.popularity, m))
        hits.sort(key=lambda h: (not h[0], -h[1], h[2].id))
        return page_of(request, [movie_result(m) for _, _, m in hits])

    async def search_tv(request: Request) -> Response:
        if (denied := await guard(request)) is not None:
            return denied
        query = _words(request.query_params.get("query", ""))
        year = _year(request.query_params, "first_air_date_year", "year")
        hits: list[tuple[bool, float, Show]] = []
        if query:
            for s, titles in index.show_words:
                hit, exact = _matches(query, titles)
                if hit and (year is None or s.year == year):
                    hits.append((exact, s.popularity, s))
        hits.sort(key=lambda h: (not h[0], -h[1], h[2].id))
        return page_of(request, [tv_result(s) for _, _, s in hits])

    def _append(request: Request) -> set[str]:
        return {a.strip() for a in request.query_params.get("append_to_response", "").split(",")}

    def _not_found() -> Response:
        return _error(404, 34, "The resource you requested could not be found.")

    async def movie(request: Request) -> Response:
        if (denied := await guard(request)) is not None:
            return denied
        m = world.movie_by_id.get(int(request.path_params["id"]))
        return reply(movie_details(m, _append(request))) if m else _not_found()

    async def tv(request: Request) -> Response:
        if (denied := await guard(request)) is not None:
            return denied
        s = world.show_by_id.get(int(request.path_params["id"]))
        return reply(tv_details(s, _append(request))) if s else _not_found()

    async def season(request: Request) -> Response:
        if (denied := await guard(request)) is not None:
            return denied
        s = world.show_by_id.get(int(request.path_params["id"]))
        body = season_details(s, int(request.path_params["n"])) if s else None
        return reply(body) if body else _not_found()

    async def find(request: Request) -> Response:
        if (denied := await guard(request)) is not None:
            return denied
        if request.query_params.get("external_source") != "imdb_id":
            return _error(400, 5, "Invalid parameters: Your request parameters are incorrect.")
        record = index.by_imdb.get(request.path_params["external_id"])
        movies = (
            [{**movie_result(record), "media_type": "movie"}] if isinstance(record, Movie) else []
        )
        shows = [{**tv_result(record), "media_type": "tv"}] if isinstance(record, Show) else []
        return reply(
            {
                "movie_results": movies,
                "person_results": [],
                "tv_results": shows,
                "tv_episode_results": [],
                "tv_season_results": [],
            }
        )

    async def configuration(request: Request) -> Response:
        if (denied := await guard(request)) is not None:
            return denied
        base = str(request.base_url).rstrip("/") + "/t/p/"
        return reply(
            {
                "change_keys": ["adult", "air_date", "also_known_as", "title"],
                "images": {
                    "base_url": base.replace("https://", "http://"),
                    "secure_base_url": base,
                    "backdrop_sizes": ["w300", "w780", "w1280", "original"],
                    "logo_sizes": ["w45", "w92", "w154", "w185", "w300", "w500", "original"],
                    "poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"],
                    "profile_sizes": ["w45", "w185", "h632", "original"],
                    "still_sizes": ["w92", "w185", "w300", "original"],
                },
            }
        )

    async def image(request: Request) -> Response:
        # The image CDN needs no key, as image.tmdb.org does not.
        return Response(png(request.path_params["file"]), media_type="image/png")

    app = Starlette(
        routes=[
            Route("/3/search/movie", search_movie),
            Route("/3/search/tv", search_tv),
            Route("/3/movie/{id:int}", movie),
            Route("/3/tv/{id:int}", tv),
            Route("/3/tv/{id:int}/season/{n:int}", season),
            Route("/3/find/{external_id}", find),
            Route("/3/configuration", configuration),
            Route("/t/p/{size}/{file}", image),
        ]
    )
    app.state.fake = state
    app.state.world = world
    return app


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-key", default=FakeTmdbConfig.api_key)
    parser.add_argument("--seed", type=int, default=FakeTmdbConfig.seed)
    parser.add_argument("--movies", type=int, default=FakeTmdbConfig.movies)
    parser.add_argument("--shows", type=int, default=FakeTmdbConfig.shows)
    parser.add_argument("--rate-limit", type=int, default=0, help="requests/s before 429")


def create(args: argparse.Namespace, base_url: str = "") -> FakeServer:
    config = FakeTmdbConfig(args.api_key, args.seed, args.movies, args.shows, args.rate_limit)
    return FakeServer(
        build_app(config),
        {"url": f"{base_url}/3", "image_url": f"{base_url}/t/p", "token": config.api_key},
    )
