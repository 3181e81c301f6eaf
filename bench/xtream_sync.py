"""Xtream catalog sync against pyxtream and a naive loader (not a timed test).

One run, one fake panel (20k live + 100k VOD + 10k series by default) on loopback, served
from a thread of this process so its catalog can be mutated between runs. Every measured
client runs in a subprocess of its own, so its time and peak RSS are its own:

- our full sync into a fresh catalog (the engine, as `reel sync` runs it), guide off;
- a no-change resync; a resync after ~1% of the catalog changed (add/remove/rename/
  recategorise through the fake's mutation helpers);
- the guide ingest (xmltv.php into `programmes`) on its own;
- pyxtream's `load_iptv()` with a fresh cache dir;
- a naive baseline: the three listings fetched with httpx, orjson-parsed, one raw
  executemany into a table of the same columns, then an FTS5 rebuild.

    .venv/bin/python bench/xtream_sync.py [--live N --vod N --series N]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test] [--profile DIR]

Targets: full ≥ 5x faster than pyxtream and no slower than naive; no-change ≤ 30% of full;
peak RSS ≤ 400 MB. The machine is shared: rerun when the load average is high.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "panel"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ---- children: each prints one JSON line ---------------------------------------------


def child_sync(args: argparse.Namespace) -> dict[str, Any]:
    from reel.catalog.db import Database
    from reel.catalog.secrets import SecretBox
    from reel.events.bus import EventBus
    from reel.services.sources import SourceService
    from reel.sync.children import ChildrenSync
    from reel.sync.engine import SyncEngine

    db = Database(args.db)
    service = SourceService(db, SecretBox(Path(args.key).read_bytes().strip()))
    engine = SyncEngine(service, EventBus())
    children = ChildrenSync(engine)
    before = rss_mb()

    async def run() -> Any:
        result = await engine.sync(SOURCE, full=True)
        if result.ok:  # what `reel sync` does next
            await children.refresh_changed(SOURCE, result.changed_parents)
        return result

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu0 = time.perf_counter(), cpu_s()
    result = asyncio.run(run())
    elapsed, cpu = time.perf_counter() - started, cpu_s() - cpu0
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    db.dispose()
    return {
        "seconds": elapsed,
        "cpu_s": cpu,
        "status": result.status,
        "error": result.error,
        "added": sum(result.added.values()),
        "updated": sum(result.updated.values()),
        "removed": sum(result.removed.values()),
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
    }


def child_pyxtream(args: argparse.Namespace) -> dict[str, Any]:
    import logging

    import pyxtream

    logging.disable(logging.WARNING)
    started = time.perf_counter()
    client = pyxtream.XTream("bench", args.username, args.password, args.url, cache_path=args.cache)
    signed_in, cpu0 = time.perf_counter(), cpu_s()
    ok = client.load_iptv()
    elapsed = time.perf_counter() - signed_in
    return {
        "seconds": elapsed,
        "cpu_s": cpu_s() - cpu0,
        "with_sign_in": time.perf_counter() - started,
        "ok": bool(ok),
        "items": len(client.channels) + len(client.movies) + len(client.series),
        "peak_rss_mb": peak_rss_mb(),
    }


NAIVE_COLUMNS = (
    "id, source_id, library_id, category_id, parent_id, remote_id, type, title, sort_title, "
    "original_title, sort_key, search_title, search_text, year, overview, duration_ms, "
    "rating, genres, added_at, updated_at, artwork, tmdb_id, imdb_id, tvdb_id, season, "
    "episode, channel_number, epg_id, stream, extra, content_hash, created_at, modified_at"
)


def _naive_rows(data: list[dict[str, Any]], kind: str, key: str, first_id: int) -> list[Any]:
    import orjson

    rows = []
    now = "2026-01-01 00:00:00"
    for n, e in enumerate(data, first_id):
        name = e.get("name") or ""
        icon = e.get("stream_icon") or e.get("cover")
        rows.append(
            (n, 1, None, None, None, str(e.get(key)), kind, name, None, None, name.lower(),
             name.lower(), name, e.get("year"), e.get("plot"), None, e.get("rating"),
             orjson.dumps([e["genre"]] if e.get("genre") else []).decode(), now, None,
             orjson.dumps({"poster": icon} if icon else {}).decode(), e.get("tmdb"), None,
             None, None, None, e.get("num"), e.get("epg_channel_id"),
             orjson.dumps({"ext": e.get("container_extension") or "ts"}).decode(), "{}", "",
             now, now)
        )  # fmt: skip
    return rows


def child_naive(args: argparse.Namespace) -> dict[str, Any]:
    import sqlite3

    import httpx
    import orjson

    started, cpu0 = time.perf_counter(), cpu_s()
    auth = {"username": args.username, "password": args.password}
    rows: list[Any] = []
    with httpx.Client(base_url=args.url, timeout=120) as http:
        for action, kind, key in (
            ("get_live_streams", "channel", "stream_id"),
            ("get_vod_streams", "movie", "stream_id"),
            ("get_series", "show", "series_id"),
        ):
            body = http.get("/player_api.php", params={**auth, "action": action}).content
            rows.extend(_naive_rows(orjson.loads(body), kind, key, len(rows) + 1))
    fetched = time.perf_counter()
    conn = sqlite3.connect(args.db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    types = {"id": "INTEGER PRIMARY KEY"}
    conn.execute(
        "CREATE TABLE items ("
        + ", ".join(f"{c} {types.get(c, '')}" for c in NAIVE_COLUMNS.split(", "))
        + ")"
    )
    conn.execute(
        "CREATE VIRTUAL TABLE items_fts USING fts5(search_text, content='items', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')"
    )
    conn.execute("BEGIN")
    marks = ", ".join("?" * len(NAIVE_COLUMNS.split(", ")))
    conn.executemany(f"INSERT INTO items ({NAIVE_COLUMNS}) VALUES ({marks})", rows)
    conn.execute("INSERT INTO items_fts(items_fts) VALUES ('rebuild')")
    conn.execute("COMMIT")
    conn.close()
    return {
        "seconds": time.perf_counter() - started,
        "cpu_s": cpu_s() - cpu0,
        "fetch_parse_s": fetched - started,
        "items": len(rows),
        "peak_rss_mb": peak_rss_mb(),
    }


def child_floor(args: argparse.Namespace) -> dict[str, Any]:
    from storage_floor import replay

    return replay(Path(args.db))


CHILDREN = {
    "sync": child_sync,
    "pyxtream": child_pyxtream,
    "naive": child_naive,
    "floor": child_floor,
}


def run_child(mode: str, **options: Any) -> dict[str, Any]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", mode]
    for key, value in options.items():
        if value is not None:
            argv += [f"--{key.replace('_', '-')}", str(value)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} child failed:\n{done.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


# ---- the parent: fake, set-up, runs, report ------------------------------------------


def mutate(fake: Any, fraction: float) -> int:
    """Change about `fraction` of the catalog: a quarter each added/removed/renamed/moved."""
    changed = 0
    for kind in ("live", "vod", "series"):
        n = max(1, round(fake.catalog.count(kind) * fraction / 4))
        for op in (fake.catalog.add, fake.catalog.remove, fake.catalog.rename):
            changed += len(op(kind, n))
        changed += len(fake.catalog.recategorise(kind, n))
    fake.warm()
    return changed


def prepare(url: str, key: bytes, fake: Any, epg: bool = False) -> None:
    from reel.catalog.db import Database
    from reel.catalog.secrets import SecretBox
    from reel.services.sources import SourceService

    db = Database(url)
    service = SourceService(db, SecretBox(key))
    settings = {"url": fake.config.public_url, "epg": epg}
    creds = {"username": fake.config.username, "password": fake.config.password}
    asyncio.run(service.add("xtream", SOURCE, settings, creds))
    db.dispose()


def set_epg(url: str, on: bool) -> None:
    from sqlalchemy import text

    from reel.catalog.db import Database

    db = Database(url)
    with db.engine.begin() as conn:
        settings = conn.execute(text("SELECT settings FROM sources WHERE name = :n"), {"n": SOURCE})
        value = dict(json.loads(s) if isinstance(s := settings.scalar(), str) else s)
        value["epg"] = on
        conn.execute(
            text("UPDATE sources SET settings = :s WHERE name = :n"),
            {"s": json.dumps(value), "n": SOURCE},
        )
    db.dispose()


def programme_count(url: str) -> int:
    from sqlalchemy import text

    from reel.catalog.db import Database

    db = Database(url)
    with db.engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM programmes")).scalar_one())
    db.dispose()
    return count


def catalog_runs(label: str, url: str, key_file: Path, fake: Any, profile: Path | None) -> dict:
    prepare(url, key_file.read_bytes(), fake)
    prof = (lambda name: str(profile / f"{label}-{name}.prof")) if profile else (lambda _: None)
    runs: dict[str, dict[str, Any]] = {}
    runs["full"] = run_child("sync", db=url, key=key_file, profile=prof("full"))
    if url.startswith("sqlite:///"):
        runs["floor"] = run_child("floor", db=url.removeprefix("sqlite:///"))
    runs["nochange"] = run_child("sync", db=url, key=key_file, profile=prof("nochange"))
    runs["changed_items"] = {"count": mutate(fake, 0.01)}
    runs["one_percent"] = run_child("sync", db=url, key=key_file, profile=prof("one-percent"))
    set_epg(url, True)
    runs["with_guide"] = run_child("sync", db=url, key=key_file, profile=prof("guide"))
    runs["programmes"] = {"count": programme_count(url)}
    set_epg(url, False)
    for name, run in runs.items():
        if run.get("status", "ok") != "ok":
            raise SystemExit(f"{label} {name}: {run['status']}: {run['error']}")
    return runs


def pg_url(base: str) -> tuple[str, Any]:
    from sqlalchemy import create_engine, text

    schema = f"reel_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{base}?options=-csearch_path%3D{schema},public", drop


def report(label: str, runs: dict[str, Any], baselines: dict[str, Any]) -> None:
    full, nochange, onep = runs["full"], runs["nochange"], runs["one_percent"]
    guide = runs["with_guide"]
    print(f"\n== {label}   (wall s / CPU s of the syncing process)")
    print(
        f"  full sync        {full['seconds']:6.2f} / {full['cpu_s']:5.2f}  "
        f"+{full['added']:,} items   peak RSS {full['peak_rss_mb']:.0f} MB "
        f"(after imports {full['rss_before_mb']:.0f} MB)"
    )
    print(
        f"  no-change resync {nochange['seconds']:6.2f} / {nochange['cpu_s']:5.2f}  "
        f"{nochange['seconds'] / full['seconds']:.0%} of full (target <= 30%)   "
        f"peak RSS {nochange['peak_rss_mb']:.0f} MB"
    )
    print(
        f"  1% changed       {onep['seconds']:6.2f} / {onep['cpu_s']:5.2f}  "
        f"{runs['changed_items']['count']:,} changes -> +{onep['added']} ~{onep['updated']} "
        f"-{onep['removed']}   peak RSS {onep['peak_rss_mb']:.0f} MB"
    )
    print(
        f"  guide ingest     {guide['seconds'] - nochange['seconds']:6.2f}          "
        f"({runs['programmes']['count']:,} programmes; resync with guide "
        f"{guide['seconds']:.2f} s, peak RSS {guide['peak_rss_mb']:.0f} MB)"
    )
    if "floor" in runs:
        floor = runs["floor"]
        print(
            f"  storage floor    {floor['seconds']:6.2f} / {floor['cpu_s']:5.2f}  "
            f"the same {floor['items']:,} rows replayed raw (insert {floor['insert_s']:.2f} s, "
            f"then FTS + indexes + commit): {floor['seconds'] / full['seconds']:.0%} of full"
        )
    peak = max(r["peak_rss_mb"] for r in (full, nochange, onep, guide))
    print(f"  peak RSS target <= 400 MB: {'met' if peak <= 400 else 'MISSED'} ({peak:.0f} MB)")
    for name, base in baselines.items():
        ratio = base["seconds"] / full["seconds"]
        target = " (target >= 5x)" if name == "pyxtream" else " (target >= 1x)"
        print(
            f"  vs {name:9} {base['seconds']:6.2f} / {base['cpu_s']:5.2f}  "
            f"ours is {ratio:.2f}x as fast{target}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--live", type=int, default=20_000)
    parser.add_argument("--vod", type=int, default=100_000)
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--pg", default=None, help="also run on this PostgreSQL URL")
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile stats here")
    parser.add_argument("--skip-pyxtream", action="store_true")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    for option in ("db", "key", "url", "username", "password", "cache"):
        parser.add_argument(f"--{option}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args)), flush=True)
        return

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    from cryptography.fernet import Fernet

    with tempfile.TemporaryDirectory() as tmp, fake_panel(args) as fake:
        cfg = fake.config
        creds = {"url": cfg.public_url, "username": cfg.username, "password": cfg.password}
        key_file = Path(tmp) / "secret.key"
        key_file.write_bytes(Fernet.generate_key())
        baselines: dict[str, Any] = {}
        baselines["naive"] = run_child("naive", db=Path(tmp) / "naive.db", **creds)
        if not args.skip_pyxtream:
            cache = Path(tmp) / "pyxtream"
            cache.mkdir()
            baselines["pyxtream"] = run_child("pyxtream", cache=cache, **creds)
        runs = catalog_runs("sqlite", f"sqlite:///{tmp}/reel.db", key_file, fake, args.profile)
        report("SQLite", runs, baselines)
        naive = baselines["naive"]
        print(f"  (naive: {naive['items']:,} rows, fetch+parse {naive['fetch_parse_s']:.2f} s, "
              f"peak RSS {naive['peak_rss_mb']:.0f} MB)")  # fmt: skip
        if "pyxtream" in baselines:
            py = baselines["pyxtream"]
            print(f"  (pyxtream: {py['items']:,} objects, ok={py['ok']}, "
                  f"{py['with_sign_in']:.2f} s with sign-in, "
                  f"peak RSS {py['peak_rss_mb']:.0f} MB)")  # fmt: skip
    if args.pg:
        url, drop = pg_url(args.pg)
        # a fresh panel: the same catalog the SQLite runs started from
        with tempfile.TemporaryDirectory() as tmp, fake_panel(args) as fake:
            key_file = Path(tmp) / "secret.key"
            key_file.write_bytes(Fernet.generate_key())
            try:
                report(
                    "PostgreSQL", catalog_runs("pg", url, key_file, fake, args.profile), baselines
                )
            finally:
                drop()


@contextmanager
def fake_panel(args: argparse.Namespace) -> Iterator[Any]:
    """The panel the whole run talks to, served from a thread of this process."""
    from reel.testing.fakes.xtream import XtreamFake, XtreamFakeConfig
    from reel.testing.server import free_port, serve_in_thread

    port = free_port()
    config = XtreamFakeConfig(
        live=args.live,
        vod=args.vod,
        series=args.series,
        live_categories=60,
        vod_categories=80,
        series_categories=40,
        public_url=f"http://127.0.0.1:{port}",
    )
    fake = XtreamFake(config)
    started = time.perf_counter()
    fake.warm()
    print(f"fake panel: {args.live:,} live + {args.vod:,} VOD + {args.series:,} series, "
          f"rendered in {time.perf_counter() - started:.1f} s")  # fmt: skip
    with serve_in_thread(fake.app, port=port):
        yield fake


if __name__ == "__main__":
    main()
