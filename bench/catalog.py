"""Search and browse on generated catalogs of 100k and 1M items (not a timed test).

For each size: p50/p95 of our search over 200 realistic queries (prefixes, multi-word,
accented, typos) against a raw FTS5 baseline on the same file (bm25 `ORDER BY rank LIMIT
50`, and unranked `LIMIT 50`), and p50/p95 of deep keyset pages with a filter and a sort
against OFFSET paging of the same rows. Prints our/raw ratios.

    .venv/bin/python bench/catalog.py --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from reel.catalog import cursor
from reel.catalog.browse import BrowseQuery, browse
from reel.catalog.db import Database
from reel.catalog.search import SearchQuery, search
from reel.catalog.text import words
from reel.testing.catalog_gen import generate_catalog, iter_queries

DATA = Path(__file__).with_name(".data")
RANKED = "SELECT rowid FROM items_fts WHERE items_fts MATCH ? ORDER BY rank LIMIT 50"
UNRANKED = "SELECT rowid FROM items_fts WHERE items_fts MATCH ? LIMIT 50"
DEEP_FILTER = "FROM items WHERE type='movie' AND year >= 1980"
OFFSET_PAGE = (
    f"SELECT id {DEEP_FILTER} ORDER BY COALESCE(rating, -1.0) DESC, id DESC LIMIT 50 OFFSET ?"
)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def build(size: int) -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"catalog-{size}.db"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        for leftover in DATA.glob(tmp.name + "*"):
            leftover.unlink()
        start = time.perf_counter()
        db = Database(f"sqlite:///{tmp}")
        generated = generate_catalog(db, size, seed=1)
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO items_fts(items_fts) VALUES ('optimize')")
        db.dispose()
        tmp.rename(path)
        elapsed = time.perf_counter() - start
        print(f"  built {sum(generated.counts.values()):,} items in {elapsed:.1f} s")
    return path


def fts_expr(query: str) -> str | None:
    qwords = words(query)
    return " AND ".join(f'"{w}"*' for w in qwords) if qwords else None


def bench_size(size: int) -> None:
    print(f"\n== {size:,} items (SQLite)")
    path = build(size)
    db = Database(f"sqlite:///{path}")
    raw = sqlite3.connect(path)
    queries = list(iter_queries(n=200))
    ours: list[float] = []
    ranked: list[float] = []
    unranked: list[float] = []
    with db.session() as session:
        for q in queries[:20]:  # warm caches and the vocabulary
            search(session, SearchQuery(q, limit=50))
        for q in queries:
            ours.append(timed(lambda q=q: search(session, SearchQuery(q, limit=50)), repeat=3))
            expr = fts_expr(q)
            if expr is None:
                continue
            ranked.append(timed(lambda e=expr: raw.execute(RANKED, (e,)).fetchall(), repeat=3))
            unranked.append(timed(lambda e=expr: raw.execute(UNRANKED, (e,)).fetchall(), repeat=3))
        sample = {
            q: [i.title for i in search(session, SearchQuery(q, limit=3)).items]
            for q in ("godf", "amelie", "sorensen", "godfater", "lord ring", "t")
        }
    report("search (ours)", ours)
    report("raw FTS5 bm25 ORDER BY rank LIMIT 50", ranked)
    report("raw FTS5 unranked LIMIT 50", unranked)
    ratio("ours/raw-ranked", ours, ranked)
    ratio("ours/raw-unranked", ours, unranked)
    for q, top in sample.items():
        print(f"  {q!r:>12} → {top}")

    rng = random.Random(3)
    pages: list[float] = []
    offsets: list[float] = []
    with db.session() as session:
        total = session.execute(text(f"SELECT count(*) {DEEP_FILTER}")).scalar_one()
        for _ in range(60):
            depth = rng.randint(int(total * 0.5), max(int(total * 0.5), total - 60))
            row = session.execute(
                text(
                    f"SELECT COALESCE(rating, -1.0) AS r, id {DEEP_FILTER} "
                    "ORDER BY COALESCE(rating, -1.0) DESC, id DESC LIMIT 1 OFFSET :o"
                ),
                {"o": depth},
            ).one()
            after = cursor.encode("rating:d", [row.r, row.id])
            q = BrowseQuery(
                types=["movie"], year_min=1980, sort="rating", desc=True, limit=50, after=after
            )
            pages.append(timed(lambda q=q: browse(session, q), repeat=3))
            offsets.append(timed(lambda d=depth: raw.execute(OFFSET_PAGE, (d + 1,)).fetchall(), 3))
    report("deep keyset page (movies, year>=1980, rating desc)", pages)
    report("raw OFFSET page, same rows", offsets)
    ratio("ours/raw-offset", pages, offsets)
    raw.close()
    db.dispose()


def ratio(label: str, ours: list[float], base: list[float]) -> None:
    p50 = statistics.median(ours) / statistics.median(base)
    print(f"  ratio {label:<20} p50 {p50:6.2f}   p95 {pct(ours, 95) / pct(base, 95):6.2f}")


def bench_postgres(size: int, url: str) -> None:
    """Our search on PostgreSQL vs a raw GIN tsquery with ts_rank ORDER BY, same queries."""
    import sqlalchemy as sa

    print(f"\n== {size:,} items (PostgreSQL)")
    schema = f"reel_bench_{size}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    db = Database(f"{url}?options=-csearch_path%3D{schema},public")
    try:
        start = time.perf_counter()
        generate_catalog(db, size, seed=1)
        print(f"  built in {time.perf_counter() - start:.1f} s")
        queries = list(iter_queries(n=200))
        ours: list[float] = []
        ranked: list[float] = []
        raw_sql = sa.text(
            "SELECT id FROM items WHERE to_tsvector('simple'::regconfig, search_text) "
            "@@ to_tsquery('simple', :q) ORDER BY ts_rank(to_tsvector('simple'::regconfig, "
            "search_text), to_tsquery('simple', :q)) DESC LIMIT 50"
        )
        with db.session() as session:
            for q in queries[:20]:
                search(session, SearchQuery(q, limit=50))
            for q in queries:
                ours.append(timed(lambda q=q: search(session, SearchQuery(q, limit=50)), repeat=3))
                qwords = words(q)
                if not qwords:
                    continue
                tsq = " & ".join(f"'{w}':*" for w in qwords)
                ranked.append(
                    timed(lambda t=tsq: session.execute(raw_sql, {"q": t}).all(), repeat=3)
                )
        report("search (ours)", ours)
        report("raw tsquery ts_rank ORDER BY LIMIT 50", ranked)
        ratio("ours/raw-ranked", ours, ranked)
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def report(label: str, values: list[float]) -> None:
    print(f"  {label:<52} p50 {statistics.median(values):7.2f} ms   p95 {pct(values, 95):7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also measure on PostgreSQL, e.g. postgresql+psycopg://postgres@127.0.0.1/test",
    )
    parser.add_argument("--postgres-size", type=int, default=100_000)
    args = parser.parse_args()
    for size in args.sizes:
        bench_size(size)
    if args.postgres:
        bench_postgres(args.postgres_size, args.postgres)


if __name__ == "__main__":
    sys.exit(main())
