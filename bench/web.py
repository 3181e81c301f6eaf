"""Web API latency on a large catalog, alone and while a sync writes; commit → WebSocket delay.

    .venv/bin/python bench/web.py [--size 100000] [--clients 50] [--requests 1000]
                                  [--database-url URL]

1. Generates a catalog of `--size` items (reel.testing.catalog_gen) and an API token.
2. Baseline: the same library page / search / details queries called in-process (no HTTP).
3. Starts `reel serve` in a subprocess and drives it with `--clients` concurrent httpx
   clients on loopback: p50/p95 per endpoint, and the ratio to the baseline.
4. Repeats the load while `reel sync` (another process) writes a fake Xtream panel's
   catalog into the same database, over and over.
5. Commit → WebSocket: an in-process server (uvicorn thread); a writer commits watch-state
   changes and a WebSocket client timestamps their arrival: p50/p95 delay.
Not a timed test; it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher

from reel.catalog.browse import BrowseQuery, browse
from reel.catalog.db import Database
from reel.catalog.details import details
from reel.catalog.search import SearchQuery, search
from reel.catalog.users import resolve_user
from reel.config import Settings
from reel.services.auth import AuthService
from reel.testing.catalog_gen import generate_catalog, iter_queries
from reel.testing.server import free_port

PASSWORD = "benchmark password"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def summary(values: list[float]) -> tuple[float, float]:
    return pct(values, 0.5), pct(values, 0.95)


class Workload:
    """Random requests of three kinds over ids and cursors taken from the catalog."""

    def __init__(self, db: Database, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.queries = list(iter_queries(seed=seed, n=300))
        with db.session() as session:
            owner = resolve_user(session).id
            self.user_id = owner
            shows = browse(session, BrowseQuery(types=("show",), limit=500), owner).items
            self.show_ids = [s.id for s in shows]
            cursors: list[str | None] = [None]
            q = BrowseQuery(types=("movie",), limit=50)
            page = browse(session, q, owner)
            while page.next and len(cursors) < 40:
                cursors.append(page.next)
                page = browse(
                    session, BrowseQuery(types=("movie",), limit=50, after=page.next), owner
                )
            self.cursors = cursors

    def request(self, kind: str) -> tuple[str, dict[str, Any]]:
        if kind == "library":
            after = self.rng.choice(self.cursors)
            params: dict[str, Any] = {"type": "movie", "limit": 50}
            if after:
                params["after"] = after
            return "/api/items", params
        if kind == "search":
            return "/api/search", {"q": self.rng.choice(self.queries), "limit": 20}
        return f"/api/items/{self.rng.choice(self.show_ids)}", {}

    def in_process(self, db: Database, kind: str) -> None:
        path, params = self.request(kind)
        with db.session() as session:
            if kind == "library":
                browse(
                    session,
                    BrowseQuery(types=("movie",), limit=50, after=params.get("after")),
                    self.user_id,
                )
            elif kind == "search":
                search(session, SearchQuery(params["q"], limit=20), self.user_id)
            else:
                details(session, int(path.rsplit("/", 1)[1]), self.user_id)


def baseline(db: Database, work: Workload, n: int) -> dict[str, tuple[float, float]]:
    out = {}
    for kind in ("library", "search", "details"):
        times = []
        for _ in range(n):
            started = time.perf_counter()
            work.in_process(db, kind)
            times.append(time.perf_counter() - started)
        out[kind] = summary(times)
    return out


async def load(
    base: str, token: str, work: Workload, kind: str, clients: int, total: int
) -> tuple[list[float], int, float]:
    """`total` requests of `kind` spread over `clients` concurrent connections."""
    times: list[float] = []
    errors = 0
    per_client = max(1, total // clients)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=60
    ) as client:

        async def one_client() -> None:
            nonlocal errors
            for _ in range(per_client):
                path, params = work.request(kind)
                started = time.perf_counter()
                response = await client.get(path, params=params)
                times.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        rate = len(times) / (time.perf_counter() - started)
    return times, errors, rate


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reel.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("reel serve did not start")


class SyncLoop:
    """`reel sync` of a fake Xtream panel, run again and again in another process."""

    def __init__(self, env: dict[str, str], vod: int) -> None:
        self.env = env
        self.fake = subprocess.Popen(
            [sys.executable, "-m", "reel.testing.fakes", "xtream", "--port", str(free_port()),
             "--live", str(vod // 10), "--vod", str(vod), "--series", str(vod // 100)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert self.fake.stdout is not None
        info = json.loads(self.fake.stdout.readline())
        added = subprocess.run(
            [sys.executable, "-m", "reel.cli", "source", "add", "xtream", "bench-sync",
             "--url", info["url"], "--username", info["username"], "--password", info["password"]],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        if added.returncode != 0:
            raise RuntimeError(added.stderr)
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            subprocess.run(
                [sys.executable, "-m", "reel.cli", "sync", "bench-sync", "--full", "--json"],
                env=self.env, capture_output=True,
            )  # fmt: skip
            self.runs += 1

    def __enter__(self) -> SyncLoop:
        self._thread.start()
        time.sleep(2.0)  # let the first sync get into its writing phase
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=300)

    def close(self) -> None:
        self.fake.terminate()
        self.fake.wait(timeout=10)


async def ws_delay(settings: Settings, db: Database, token: str, n: int) -> list[float]:
    """Commit → WebSocket message delay with the app served in-process (uvicorn thread)."""
    import websockets

    from reel.testing.server import serve_in_thread
    from reel.web import create_app

    app = create_app(settings, db)
    svc = app.state.reel
    with db.session() as session:
        owner = resolve_user(session).id
        item_ids = [i.id for i in browse(session, BrowseQuery(types=("movie",), limit=n)).items]
    committed: dict[int, float] = {}
    delays: list[float] = []
    with serve_in_thread(app) as base:
        url = base.replace("http", "ws") + f"/ws?token={token}"
        async with websockets.connect(url) as ws:
            json.loads(await ws.recv())  # hello

            def writer() -> None:
                for k, item_id in enumerate(item_ids):
                    # set_position commits, then publishes: stamp right after it returns the
                    # commit is done (the publish is a queue hand-off, microseconds).
                    svc.playback.set_position(owner, item_id, 1000 + k)
                    committed[item_id] = time.perf_counter()
                    time.sleep(0.01)

            thread = threading.Thread(target=writer)
            thread.start()
            while len(delays) < len(item_ids):
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if message.get("event") != "watch.changed":
                    continue
                arrived = time.perf_counter()
                for item_id in message["item_ids"]:
                    # The stamp is taken after set_position returned; a message can beat it.
                    while item_id not in committed and thread.is_alive():
                        await asyncio.sleep(0)
                    delays.append(max(0.0, arrived - committed.get(item_id, arrived)))
            thread.join()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1000, help="per endpoint and phase")
    parser.add_argument("--baseline-requests", type=int, default=300)
    parser.add_argument("--sync-vod", type=int, default=20_000, help="size of the synced panel")
    parser.add_argument("--ws-changes", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="reel-bench-web-"))
    url = args.database_url or f"sqlite:///{tmp / 'reel.db'}"
    settings = Settings(data_dir=tmp, database_url=url)
    env = {**os.environ, "REEL_DATA_DIR": str(tmp), "REEL_DATABASE_URL": url}
    db = Database(url)
    started = time.perf_counter()
    generate_catalog(db, args.size, seed=7)
    print(f"catalog: {args.size} items in {time.perf_counter() - started:.1f}s ({db.dialect})")
    auth = AuthService(db, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    admin = auth.setup("bench", PASSWORD)
    _, token = auth.create_token(admin.id, "bench")
    work = Workload(db)

    base_figures = baseline(db, work, args.baseline_requests)
    port = free_port()
    server = start_server(env, port)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, tuple[float, float, int, float]]] = {}
    sync_runs = 0
    try:

        async def phase() -> dict[str, tuple[float, float, int, float]]:
            out = {}
            for kind in ("library", "search", "details"):
                await load(base, token, work, kind, args.clients, args.clients * 4)  # warm-up
                times, errors, rate = await load(
                    base, token, work, kind, args.clients, args.requests
                )
                p50, p95 = summary(times)
                out[kind] = (p50, p95, errors, rate)
            return out

        results["alone"] = asyncio.run(phase())
        syncer = SyncLoop(env, args.sync_vod)
        try:
            with syncer:
                results["during sync"] = asyncio.run(phase())
            sync_runs = syncer.runs
        finally:
            syncer.close()
    finally:
        server.terminate()
        server.wait(timeout=20)

    delays = asyncio.run(ws_delay(settings, db, token, args.ws_changes))
    db.dispose()

    print(f"\n{args.clients} concurrent clients, {args.requests} requests per endpoint and phase")
    print(f"{'endpoint':<10} {'phase':<12} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>7} {'errors':>6}"
          f" {'base p50':>9} {'base p95':>9} {'p50 x':>7} {'p95 x':>7}")  # fmt: skip
    for name, figures in results.items():
        for kind, (p50, p95, errors, rate) in figures.items():
            b50, b95 = base_figures[kind]
            print(f"{kind:<10} {name:<12} {p50:8.1f} {p95:8.1f} {rate:7.0f} {errors:6d}"
                  f" {b50:9.2f} {b95:9.2f} {p50 / b50:7.1f} {p95 / b95:7.1f}")  # fmt: skip
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"(the baseline is the same query in-process, one at a time; {sync_runs} sync runs "
        "overlapped the second phase)"
    )
    d50, d95 = summary(delays)
    print(
        f"\ncommit -> WebSocket delay over {len(delays)} changes: p50 {d50:.2f} ms, "
        f"p95 {d95:.2f} ms (bar: 16 ms)"
    )


if __name__ == "__main__":
    main()
