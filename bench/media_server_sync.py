"""Plex and Jellyfin sync benchmark (not a timed test): prints times and ratios.

Each fake serves N movies + S shows (default 50,000 + 2,000 shows / 40,000 episodes) on
loopback from a process of its own, so the server's work does not share our interpreter.
In one run, per kind: full sync, no-change incremental, and an incremental after 1% of
the items changed (metadata of 1% of movies and episodes, plus watch state of as many on
another device); then python-plexapi's `section.all()` over both sections of the fake Plex
(the listing alone, nothing stored) as the baseline.
Targets: full Plex sync (listing + storage) ≥ 5× faster than python-plexapi's listing;
a 1%-change incremental ≤ 10% of a full sync.

    .venv/bin/python bench/media_server_sync.py [--movies N] [--shows N] [--episodes N]
        [--database-url URL] [--skip-plexapi] [--kinds plex,jellyfin] [--rounds N]

Each round syncs into a fresh catalog and takes its ratios within itself; with several
rounds (default 3) the medians of those ratios are printed last.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing as mp
import statistics
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import text

from reel.catalog.db import Database
from reel.catalog.secrets import SecretBox
from reel.services.sources import SourceService
from reel.sync.engine import SyncEngine
from reel.sync.outcome import SyncResult


@dataclass(frozen=True)
class Sizes:
    movies: int
    shows: int
    seasons: int
    episodes: int  # per season

    @property
    def total_episodes(self) -> int:
        return self.shows * self.seasons * self.episodes


# -- fake servers in child processes ---------------------------------------------------------


def _shifted(step: int, rounds: int) -> int:
    """Where a round's watch-state picks start: other items each round, so a later round
    changes as much as the first instead of re-marking what it already marked."""
    return (step // 2 + 7 * rounds) % step


def _serve_plex(sizes: Sizes, port: int, conn: Connection) -> None:
    from reel.testing.fakes.plex import FakePlexConfig, build
    from reel.testing.server import serve_in_thread

    fake = build(FakePlexConfig(sizes.movies, sizes.shows, sizes.seasons, sizes.episodes))
    gc.freeze()  # the library lives as long as the process: keep it out of every collection
    with serve_in_thread(fake.app, port=port) as url:
        fake.advertise(url)
        conn.send(("ready", fake.config.token))
        rounds = 0
        while True:
            cmd, arg = conn.recv()
            if cmd == "stop":
                return
            if cmd == "change":
                lib, changed = fake.library, 0
                for item_type in ("movie", "episode"):
                    keys = lib.keys_of(item_type)
                    step = max(1, len(keys) // max(1, len(keys) * arg // 100))
                    touched = keys[::step][: len(keys) * arg // 100]
                    lib.touch(touched)
                    # watch state changed elsewhere: as many again, half watched, half not
                    other = keys[_shifted(step, rounds) :: step][: len(touched)]
                    for n, key in enumerate(other):
                        _ = lib.mark_watched(key) if n % 2 else lib.mark_unwatched(key)
                    changed += len(touched) + len(other)
                rounds += 1
                conn.send(("changed", changed))


def _serve_jellyfin(sizes: Sizes, port: int, conn: Connection) -> None:
    from reel.testing.fakes.jellyfin import FakeJellyfin, FakeJellyfinConfig
    from reel.testing.server import serve_in_thread

    cfg = FakeJellyfinConfig(sizes.movies, sizes.shows, sizes.seasons, sizes.episodes)
    fake = FakeJellyfin(cfg)
    gc.freeze()
    with serve_in_thread(fake.app, port=port):
        conn.send(("ready", (cfg.username, cfg.password)))
        rounds = 0
        while True:
            cmd, arg = conn.recv()
            if cmd == "stop":
                return
            if cmd == "change":
                changed = 0
                for kind in ("Movie", "Episode"):
                    n = fake.count(kind) * arg // 100
                    fake.data.change_metadata(n, kind)
                    ids = fake.ids(kind)
                    step = max(1, len(ids) // max(1, n))
                    other = ids[_shifted(step, rounds) :: step][:n]
                    fake.data.set_played(other[::2], True)
                    fake.data.set_played(other[1::2], False)
                    changed += n + len(other)
                rounds += 1
                conn.send(("changed", changed))


class FakeProcess:
    """A fake in a child process, driven through a pipe."""

    def __init__(self, target: Any, sizes: Sizes) -> None:
        from reel.testing.server import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=target, args=(sizes, self.port, child), daemon=True)
        started = time.perf_counter()
        self.proc.start()
        status, self.info = self.conn.recv()
        assert status == "ready"
        self.build_s = time.perf_counter() - started

    def change(self, percent: int) -> int:
        self.conn.send(("change", percent))
        return int(self.conn.recv()[1])

    def stop(self) -> None:
        self.conn.send(("stop", None))
        self.proc.join(timeout=10)


# -- runs ----------------------------------------------------------------------------------


def _items(result: SyncResult) -> str:
    def total(counts: dict[str, int]) -> int:
        return sum(counts.values())

    return (
        f"+{total(result.added)} ~{total(result.updated)} -{total(result.removed)} ({result.kind})"
    )


async def _sync(engine: SyncEngine, name: str, *, full: bool = False) -> tuple[float, SyncResult]:
    started = time.perf_counter()
    result = await engine.sync(name, full=full)
    elapsed = time.perf_counter() - started
    if result.status != "ok":
        raise SystemExit(f"sync of {name} failed: {result.error}")
    return elapsed, result


async def run_kind(
    kind: str, fake: FakeProcess, service: SourceService, engine: SyncEngine
) -> dict[str, float]:
    if kind == "plex":
        await service.add("plex", kind, {"url": fake.url}, {"token": fake.info})
    else:
        user, password = fake.info
        await service.add(
            "jellyfin", kind, {"url": fake.url}, {"username": user, "password": password}
        )
    times: dict[str, float] = {}
    times["full"], result = await _sync(engine, kind, full=True)
    print(f"{kind}: full sync            {times['full']:7.2f}s  {_items(result)}")
    url = service.db.engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        from storage_floor import replay

        floor = replay(Path(url.database), kind)
        print(
            f"{kind}: storage floor        {floor['seconds']:7.2f}s  the same "
            f"{floor['items']} rows replayed raw into the same schema "
            f"(insert {floor['insert_s']:.2f}s, then FTS + indexes + commit)"
            f" = {floor['seconds'] / times['full']:.0%} of full"
        )
    times["same"], result = await _sync(engine, kind)
    print(
        f"{kind}: no-change incremental {times['same']:7.2f}s  {_items(result)}"
        f"  = {times['same'] / times['full']:.1%} of full"
    )
    changed = fake.change(1)
    times["one"], result = await _sync(engine, kind)
    with service.db.engine.connect() as conn:
        pending = conn.execute(
            text(
                "SELECT count(*) FROM playback_state p JOIN items i ON i.id = p.item_id"
                " JOIN sources s ON s.id = i.source_id WHERE s.name = :n"
            ),
            {"n": kind},
        ).scalar()
    print(
        f"{kind}: 1%-change incremental {times['one']:7.2f}s  {_items(result)}"
        f"  = {times['one'] / times['full']:.1%} of full (target <= 10%);"
        f" {changed} items changed on the server, {pending} watch-state rows"
    )
    return times


def plexapi_listing(url: str, token: str) -> tuple[float, int]:
    from plexapi.server import PlexServer

    started = time.perf_counter()
    server = PlexServer(url, token, timeout=120)
    count = 0
    for section in server.library.sections():
        if section.type in ("movie", "show"):
            count += len(section.all())
    return time.perf_counter() - started, count


async def one_round(
    args: argparse.Namespace, plex: FakeProcess | None, jelly: FakeProcess | None
) -> dict[str, float]:
    """Every measurement once, each kind into a fresh catalog; the ratios of this round."""
    ratios: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        service = SourceService(db, SecretBox(Fernet.generate_key()))
        engine = SyncEngine(service)
        try:
            if plex is not None:
                plex_times = await run_kind("plex", plex, service, engine)
                ratios["plex 1%"] = plex_times["one"] / plex_times["full"]
            if jelly is not None:
                jelly_times = await run_kind("jellyfin", jelly, service, engine)
                ratios["jellyfin 1%"] = jelly_times["one"] / jelly_times["full"]
            if plex is not None and not args.skip_plexapi:
                base, count = await asyncio.to_thread(plexapi_listing, plex.url, plex.info)
                print(f"python-plexapi section.all() x2: {base:7.2f}s for {count} items")
                ratios["plex vs plexapi"] = base / plex_times["full"]
                print(
                    f"our full Plex sync is {ratios['plex vs plexapi']:.1f}x faster than that"
                    " listing (target >= 5x)"
                )
        finally:
            db.dispose()
    return ratios


async def main(args: argparse.Namespace) -> None:
    sizes = Sizes(args.movies, args.shows, args.seasons, args.episodes)
    print(
        f"library: {sizes.movies} movies, {sizes.shows} shows x {sizes.seasons} seasons"
        f" = {sizes.total_episodes} episodes"
    )
    if args.database_url and args.rounds > 1:
        raise SystemExit("--database-url takes one round (each round needs a fresh catalog)")
    kinds = {k.strip() for k in args.kinds.split(",") if k.strip()}
    plex = FakeProcess(_serve_plex, sizes) if "plex" in kinds else None
    jelly = FakeProcess(_serve_jellyfin, sizes) if "jellyfin" in kinds else None
    built = [f"{f.build_s:.1f}s ({k})" for k, f in (("plex", plex), ("jellyfin", jelly)) if f]
    print(f"fakes built in {', '.join(built)}")
    rounds: list[dict[str, float]] = []
    try:
        for n in range(args.rounds):
            if args.rounds > 1:
                print(f"-- round {n + 1} of {args.rounds}")
            rounds.append(await one_round(args, plex, jelly))
    finally:
        for fake in (plex, jelly):
            if fake is not None:
                fake.stop()
    if len(rounds) > 1:
        # This machine's speed drifts within minutes: each ratio is taken within one round
        # and the rounds' median is the figure to quote.
        print(f"-- medians of {len(rounds)} rounds (each ratio taken within its round)")
        for key in rounds[0]:
            values = sorted(r[key] for r in rounds)

            def show(v: float, key: str = key) -> str:
                return f"{v:.1%}" if "%" in key else f"{v:.2f}x"

            rounds_shown = ", ".join(map(show, values))
            print(f"{key:16} median {show(statistics.median(values))}  (rounds: {rounds_shown})")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=50_000)
    parser.add_argument("--shows", type=int, default=2_000)
    parser.add_argument("--seasons", type=int, default=2, help="per show")
    parser.add_argument("--episodes", type=int, default=10, help="per season")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--skip-plexapi", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=3, help="repeat everything; medians of the ratios"
    )
    parser.add_argument(
        "--kinds", default="plex,jellyfin", help="comma-separated: which servers to run"
    )
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
