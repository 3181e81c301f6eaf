"""A fake Plex Media Server plus plex.tv (PIN sign-in, account, resources) in one ASGI app.

Tests build one with `build(FakePlexConfig(...))` and serve `fake.app` with
`reel.testing.server.serve_in_thread`; they then change it at run time:
`fake.library.touch/delete/add_movies/mark_watched/mark_unwatched`, `fake.faults.set(...)`,
`fake.revoke_token()`, `fake.plex_tv.approve(...)`, `fake.plex_tv.resources = [...]`.
Point `REEL_PLEX_TV_URL` (or `plex_tv_url=`) at the same URL to sign in against it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette

from reel.testing.fakes import FakeServer
from reel.testing.fakes.plex.faults import FaultMiddleware, Faults
from reel.testing.fakes.plex.library import Library, LibraryConfig
from reel.testing.fakes.plex.plex_tv import (
    PlexTv,
    PlexTvRoutes,
    connection,
    player_resource,
    server_resource,
)
from reel.testing.fakes.plex.pms import PmsRoutes

__all__ = ["FakePlex", "FakePlexConfig", "Faults", "Library", "add_arguments", "build", "create"]


@dataclass
class FakePlexConfig:
    movies: int = 20
    shows: int = 3
    seasons: int = 2
    episodes: int = 4
    seed: int = 1
    token: str = "fake-plex-token"
    account_token: str = "fake-plex-account-token"
    name: str = "Fake Plex"
    machine_identifier: str = "f4ke5e7e7000000000000000000000000000000a"
    version: str = "1.41.9.9961-46083195d"
    username: str = "reel-tester"
    pin_approve_after: int | None = None
    extra_tokens: list[str] = field(default_factory=list)


class FakePlex:
    """One fake server's state and its ASGI app."""

    def __init__(self, config: FakePlexConfig, base_url: str | None = None) -> None:
        self.config = config
        self.library = Library(
            LibraryConfig(config.movies, config.shows, config.seasons, config.episodes, config.seed)
        )
        self.tokens: set[str] = {config.token, *config.extra_tokens}
        self.faults = Faults()
        self.plex_tv = PlexTv(
            account_token=config.account_token,
            username=config.username,
            approve_after=config.pin_approve_after,
        )
        if base_url:
            self.advertise(base_url)
        routes = PmsRoutes(self).routes() + PlexTvRoutes(self.plex_tv).routes()
        self.app: Any = FaultMiddleware(Starlette(routes=routes), self.faults)

    def advertise(
        self, *local_urls: str, remote: list[str] | None = None, relay: list[str] | None = None
    ) -> None:
        """List this server on the fake plex.tv with the given connections (and a player)."""
        conns = [connection(u, local=True) for u in local_urls]
        conns += [connection(u) for u in remote or []]
        conns += [connection(u, relay=True) for u in relay or []]
        self.plex_tv.resources = [
            server_resource(
                self.config.name, self.config.machine_identifier, self.config.token, conns
            ),
            player_resource(),
        ]

    def revoke_token(self, token: str | None = None) -> None:
        """The owner signed this device out: the server answers 401 from now on."""
        self.tokens.discard(token or self.config.token)


def build(config: FakePlexConfig | None = None, base_url: str | None = None) -> FakePlex:
    return FakePlex(config or FakePlexConfig(), base_url)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--movies", type=int, default=200)
    parser.add_argument("--shows", type=int, default=10)
    parser.add_argument("--seasons", type=int, default=2, help="seasons per show")
    parser.add_argument("--episodes", type=int, default=8, help="episodes per season")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--token", default=FakePlexConfig.token)
    parser.add_argument(
        "--pin-approve-after",
        type=int,
        default=2,
        help="approve sign-in PINs on this check (0: never, approve with PUT /api/v2/pins/link)",
    )


def create(args: argparse.Namespace, base_url: str) -> FakeServer:
    config = FakePlexConfig(
        movies=args.movies,
        shows=args.shows,
        seasons=args.seasons,
        episodes=args.episodes,
        seed=args.seed,
        token=args.token,
        pin_approve_after=args.pin_approve_after or None,
    )
    fake = FakePlex(config, base_url)
    credentials = {
        "token": config.token,
        "plex_tv_url": base_url,
        "account_token": config.account_token,
        "machine_identifier": config.machine_identifier,
    }
    return FakeServer(app=fake.app, credentials=credentials)
