"""A fake Xtream Codes panel: `python -m reel.testing.fakes xtream --live N --vod N --series N`.

Tests use the Python API: `fake = XtreamFake(XtreamFakeConfig(live=50))`, serve `fake.app`
with `reel.testing.server.serve_in_thread`, switch faults with `fake.faults.set("error")`,
change the catalog with `fake.catalog.add/remove/rename/recategorise("vod", n)` or
`touch_series(n)`, and read `fake.calls(action)` to see what a client asked for.
Streams play for real: every movie and episode is a 2-second H.264 MP4 (Range supported),
every live channel a matching MPEG-TS or a one-segment HLS playlist (see media.py).
"""

from __future__ import annotations

import argparse
from datetime import datetime

from reel.testing.fakes import FakeServer
from reel.testing.fakes.xtream.app import XtreamFake
from reel.testing.fakes.xtream.catalog import XtreamCatalog, XtreamFakeConfig
from reel.testing.fakes.xtream.faults import Faults

__all__ = ["Faults", "XtreamCatalog", "XtreamFake", "XtreamFakeConfig", "add_arguments", "create"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Size, credential and behaviour options of the command-line fake."""
    defaults = XtreamFakeConfig()
    parser.add_argument("--live", type=int, default=200, help="live channels")
    parser.add_argument("--vod", type=int, default=500, help="films")
    parser.add_argument("--series", type=int, default=50, help="series")
    parser.add_argument("--seasons", type=int, default=defaults.seasons)
    parser.add_argument("--episodes-per-season", type=int, default=defaults.episodes_per_season)
    parser.add_argument("--categories", type=int, default=None, help="categories per kind")
    parser.add_argument("--username", default=defaults.username)
    parser.add_argument("--password", default=defaults.password)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--no-quirks", action="store_true", help="well-typed, duplicate-free JSON")
    parser.add_argument("--epg-hours", type=int, default=defaults.epg_hours)
    parser.add_argument("--epg-start", default=None, help="ISO time the guide starts at")
    parser.add_argument(
        "--formats", default=",".join(defaults.allowed_output_formats), help="allowed outputs"
    )
    parser.add_argument(
        "--bad-auth-status", type=int, default=None, help="401/403 instead of auth:0 with 200"
    )
    parser.add_argument(
        "--fault",
        choices=["error", "slow", "truncate", "drop", "reset", "html", "auth0"],
        default=None,
        help="start with this fault switched on for every player_api/xmltv request",
    )


def create(args: argparse.Namespace, base_url: str = "http://127.0.0.1") -> FakeServer:
    """The fake as the command line asks for it."""
    config = XtreamFakeConfig(
        live=args.live,
        vod=args.vod,
        series=args.series,
        seasons=args.seasons,
        episodes_per_season=args.episodes_per_season,
        username=args.username,
        password=args.password,
        seed=args.seed,
        quirks=not args.no_quirks,
        epg_hours=args.epg_hours,
        epg_start=datetime.fromisoformat(args.epg_start) if args.epg_start else None,
        allowed_output_formats=tuple(f for f in args.formats.split(",") if f),
        bad_auth_status=args.bad_auth_status,
        public_url=base_url,
    )
    if args.categories:
        config.live_categories = config.vod_categories = config.series_categories = args.categories
    fake = XtreamFake(config)
    fake.warm()
    if args.fault:
        fake.faults.set(args.fault)
    creds = {"username": config.username, "password": config.password}
    return FakeServer(app=fake.app, credentials=creds)
