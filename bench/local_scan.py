"""Local scan and identification benchmark (not a timed test): prints times and ratios.

1. A generated tree of N files (default 50,000; tiny files with realistic names from
   `reel.testing.names`): full scan + recognition, a no-change rescan, and a rescan
   after 1% of the files were renamed, all through `LocalAdapter.listing`.
   Target: no-change rescan ≤ 10% of the full scan.
2. Identification precision/recall on a labelled set (default 2,000 names) through the
   real pipeline (scan → sync into SQLite → identify) against the fake TMDB in-process,
   at the default threshold. Target: precision ≥ 0.98.

    .venv/bin/python bench/local_scan.py [--files N] [--labelled N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import text

from reel.catalog.db import Database
from reel.catalog.secrets import SecretBox
from reel.config import Settings
from reel.metadata.identify import Identifier
from reel.services.sources import SourceService
from reel.sources.base import ListingContext, SourceConfig
from reel.sources.http import RetryPolicy
from reel.sources.local.adapter import LocalAdapter
from reel.sync.engine import SyncEngine
from reel.testing.fakes.tmdb import FakeTmdbConfig, build_app
from reel.testing.names import LabelledName, generate, labelled_set
from reel.testing.titles import build_world


def write_tree(root: Path, names: list[LabelledName]) -> None:
    for n in names:
        path = root / n.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(n.path.encode())  # distinct content: no false "moves"


async def listing(adapter: LocalAdapter, state: dict[str, object]) -> tuple[float, int]:
    ctx = ListingContext(state=state)
    started = time.perf_counter()
    count = 0
    async for page in adapter.listing(ctx):
        count += len(page.items)
    return time.perf_counter() - started, count


async def scan_bench(files: int, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        names = generate(files, seed=seed)
        t0 = time.perf_counter()
        write_tree(root, names)
        print(f"tree: {len(names)} files written in {time.perf_counter() - t0:.1f}s")
        adapter = LocalAdapter(SourceConfig("bench", "local", {"paths": [str(root)]}))
        state: dict[str, object] = {}
        full, items = await listing(adapter, state)
        print(f"full scan + recognition: {full:.2f}s, {items} records "
              f"({adapter.report.parsed} names recognised)")  # fmt: skip
        same, _ = await listing(adapter, state)
        print(f"no-change rescan: {same:.2f}s ({adapter.report.parsed} recognised), "
              f"{same / full:.1%} of full (target <= 10%)")  # fmt: skip
        rng = random.Random(seed)
        for n in rng.sample(names, max(1, len(names) // 100)):
            path = root / n.path
            path.rename(path.with_name("renamed " + path.name))
        moved, _ = await listing(adapter, state)
        print(f"rescan after 1% renames: {moved:.2f}s ({adapter.report.parsed} recognised), "
              f"{moved / full:.1%} of full")  # fmt: skip


async def identify_bench(count: int) -> None:
    config = FakeTmdbConfig()
    world = build_world(config.seed, config.movies, config.shows)
    names = labelled_set(count, seed=3, world=world)
    with tempfile.TemporaryDirectory() as tmp:
        media = Path(tmp) / "media"
        write_tree(media, names)
        db = Database(f"sqlite:///{Path(tmp) / 'reel.db'}")
        service = SourceService(db, SecretBox(Fernet.generate_key()))
        await service.add("local", "bench", {"paths": [str(media)]}, {})
        started = time.perf_counter()
        result = await SyncEngine(service).sync("bench")
        print(f"labelled set: {len(names)} files synced in {time.perf_counter() - started:.1f}s "
              f"({result.status})")  # fmt: skip
        settings = Settings(data_dir=Path(tmp), tmdb_api_key=config.api_key,
                            tmdb_api_url="http://tmdb.test/3",
                            tmdb_image_url="http://tmdb.test/t/p")  # fmt: skip
        transport = httpx.ASGITransport(app=build_app(config))
        identifier = Identifier(db, settings, transport=transport, enrich=False,
                                retry=RetryPolicy(attempts=2, base_delay=0.01))  # fmt: skip
        started = time.perf_counter()
        (report,) = await identifier.run("bench")
        await identifier.aclose()
        print(f"identification: {time.perf_counter() - started:.1f}s, {report.to_json()}")
        with db.engine.connect() as conn:
            found = _identified_by_path(conn)
        db.dispose()
    true_pos = false_pos = 0
    for n in names:
        got = found.get(str(media / n.path))
        if got is not None:
            true_pos += got == n.expected.tmdb_id
            false_pos += got != n.expected.tmdb_id
    positives = sum(1 for n in names if n.expected.tmdb_id is not None)
    precision = true_pos / max(1, true_pos + false_pos)
    recall = true_pos / max(1, positives)
    print(f"precision {precision:.4f} (target >= 0.98), recall {recall:.4f} "
          f"on {len(names)} labelled names ({positives} on TMDB)")  # fmt: skip


def _identified_by_path(conn: object) -> dict[str, int]:
    """File path → TMDB id of its film, or of its episode's show."""
    rows = conn.execute(text(  # type: ignore[attr-defined]
        "SELECT f.path, i.type, m.provider_id, sm.provider_id AS show_id "
        "FROM local_files f JOIN items i ON i.id = f.item_id "
        "JOIN item_metadata m ON m.item_id = i.id "
        "LEFT JOIN items season ON season.id = i.parent_id "
        "LEFT JOIN item_metadata sm ON sm.item_id = season.parent_id "
        "WHERE m.status IN ('identified', 'enriched') OR sm.status IN ('identified', 'enriched')"
    ))  # fmt: skip
    out: dict[str, int] = {}
    for path, kind, own, show in rows:
        value = own if kind == "movie" else show
        if value:
            out[path] = int(value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--labelled", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(scan_bench(args.files, args.seed))
    asyncio.run(identify_bench(args.labelled))


if __name__ == "__main__":
    main()
