"""A deterministic generator of realistic catalogs, for tests and benchmarks.

Same seed, same size → the same catalog, on SQLite or PostgreSQL. Titles mix English
patterns with accented, Nordic, German, Cyrillic, CJK and right-to-left names; shows come
with seasons and episodes; channels with categories and EPG ids; several sources.
Rows are written with Core executemany and pre-assigned ids, so a million items take
seconds rather than minutes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from reel.catalog.db import Database
from reel.catalog.models import Category, Item, ItemGenre, Library, Source
from reel.catalog.rows import item_row
from reel.sources.records import ItemRecord

ADJECTIVES = (
    "Dark", "Silent", "Last", "Golden", "Broken", "Hidden", "Wild", "Lost", "Red", "Final",
    "Crimson", "Frozen", "Endless", "Secret", "Little", "Great", "Bright", "Savage", "Quiet",
    "Electric", "Northern", "Eternal", "Burning", "Midnight", "Iron", "Velvet", "Hollow",
)  # fmt: skip
NOUNS = (
    "River", "Empire", "Night", "Garden", "Kingdom", "Storm", "Road", "Mirror", "Shadow",
    "Winter", "Harbor", "Station", "Island", "Forest", "Machine", "Promise", "Horizon",
    "Letter", "Voyage", "Summer", "Witness", "Signal", "Frontier", "Circus", "Orchard",
    "Lighthouse", "Avenue", "Sister", "Brother", "Detective", "Doctor", "Pilot", "Bridge",
)  # fmt: skip
FOREIGN = (
    "Amélie", "Sørensen", "Straße", "Ænima", "Œuvre", "Bjørn", "Façade", "Mañana",
    "Göteborg", "Ærø", "Łódź", "Þingvellir", "Crème Brûlée", "Désolé", "Über", "Ñandú",
    "Москва", "Брат", "東京", "千と千尋", "서울", "القاهرة", "שלום", "Αθήνα", "İstanbul",
)  # fmt: skip
KNOWN = (
    ("The Godfather", 1972), ("The Godfather Part II", 1974), ("The Godfather Part III", 1990),
    ("Amélie", 2001), ("Sørensen's Choice", 2011), ("The Lord of the Rings", 2001),
    ("Spirited Away", 2001), ("千と千尋の神隠し", 2001), ("Das Boot", 1981),
    ("Der Himmel über Berlin", 1987), ("Léon", 1994), ("La Haine", 1995),
)  # fmt: skip
GENRES = (
    "Drama", "Comedy", "Thriller", "Action", "Documentary", "Animation", "Horror",
    "Romance", "Science Fiction", "Crime", "Family", "Adventure",
)  # fmt: skip
CHANNEL_GROUPS = ("News", "Sports", "Kids", "Movies", "Music", "Documentaries", "UK", "DE", "FR")
EPISODE_WORDS = ("Pilot", "Homecoming", "The Return", "Aftermath", "Reckoning", "Origins")


@dataclass
class GeneratedCatalog:
    """What was generated: counts per type and the ids of the sources."""

    counts: dict[str, int] = field(default_factory=dict)
    source_ids: list[int] = field(default_factory=list)
    known_ids: dict[str, int] = field(default_factory=dict)


class _Titles:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def title(self) -> str:
        r = self.rng
        pick = r.random()
        if pick < 0.30:
            return f"The {r.choice(ADJECTIVES)} {r.choice(NOUNS)}"
        if pick < 0.50:
            return f"{r.choice(NOUNS)} of the {r.choice(ADJECTIVES)} {r.choice(NOUNS)}"
        if pick < 0.65:
            return f"{r.choice(ADJECTIVES)} {r.choice(NOUNS)}: {r.choice(NOUNS)} {r.randint(2, 5)}"
        if pick < 0.80:
            return f"{r.choice(FOREIGN)} {r.choice(NOUNS)}"
        if pick < 0.90:
            return f"{r.choice(ADJECTIVES)} {r.choice(FOREIGN)}"
        return f"{r.choice(NOUNS)} {r.choice(NOUNS)}"


def _plan(size: int) -> tuple[int, int, int, int, int]:
    """Split `size` into channels, movies and shows of 3 seasons x 8 episodes (28 rows)."""
    channels = size // 10
    movies = int(size * 0.4)
    shows = max(0, (size - channels - movies) // 28)
    return channels, movies, shows, 3, 8


def generate_catalog(
    db: Database, size: int, *, seed: int = 42, chunk: int = 5000
) -> GeneratedCatalog:
    """Fill `db` with about `size` items across three sources; returns what was made."""
    rng = random.Random(seed)
    titles = _Titles(rng)
    result = GeneratedCatalog()
    base_time = datetime(2024, 1, 1, tzinfo=UTC)
    n_channels, n_movies, n_shows, n_seasons, n_episodes = _plan(size)
    with db.session() as session:
        sources = [
            Source(name="Home Plex", kind="plex", status="ok", settings={}),
            Source(name="IPTV Provider", kind="xtream", status="ok", settings={}),
            Source(name="NAS", kind="local", status="ok", settings={}),
        ]
        session.add_all(sources)
        session.flush()
        plex, iptv, nas = (s.id for s in sources)
        result.source_ids = [plex, iptv, nas]
        libs = [
            Library(source_id=plex, remote_id="1", title="Movies", kind="movies"),
            Library(source_id=plex, remote_id="2", title="TV Shows", kind="shows"),
            Library(source_id=iptv, remote_id="live", title="Live TV", kind="live"),
            Library(source_id=nas, remote_id="films", title="Films", kind="movies"),
        ]
        session.add_all(libs)
        cats = [
            Category(source_id=iptv, kind="live", remote_id=str(i), name=g)
            for i, g in enumerate(CHANNEL_GROUPS)
        ]
        session.add_all(cats)
        session.flush()
        lib_ids = [lib.id for lib in libs]
        cat_ids = [c.id for c in cats]
        next_id = int(session.scalar(select(func.coalesce(func.max(Item.id), 0))) or 0) + 1

    rows: list[dict[str, Any]] = []
    genres: list[dict[str, Any]] = []
    counts = {"movie": 0, "show": 0, "season": 0, "episode": 0, "channel": 0}

    def emit(record: ItemRecord, **kw: Any) -> int:
        nonlocal next_id
        row = item_row(record, **kw)
        row["id"] = next_id
        next_id += 1
        rows.append(row)
        for g in record.genres:
            genres.append({"item_id": row["id"], "genre": g})
        counts[record.type] += 1
        if len(rows) >= chunk:
            _flush(db, rows, genres)
        return int(row["id"])

    def when(i: int) -> datetime:
        return base_time + timedelta(minutes=i * 7 + rng.randint(0, 6))

    for i, (title, year) in enumerate(KNOWN):
        rec = ItemRecord(remote_id=f"known-{i}", type="movie", title=title, year=year,
                         rating=8.5, genres=["Drama"], added_at=when(i),
                         ids={"tmdb": str(238 + i)})  # fmt: skip
        result.known_ids[title] = emit(rec, source_id=plex, library_id=lib_ids[0])
    for i in range(max(0, n_movies - len(KNOWN))):
        source_id, lib = (plex, lib_ids[0]) if i % 3 else (nas, lib_ids[3])
        rec = ItemRecord(
            remote_id=f"m{i}", type="movie", title=titles.title(),
            year=rng.randint(1930, 2025) if rng.random() > 0.03 else None,
            rating=round(rng.uniform(1, 10), 1) if rng.random() > 0.05 else None,
            genres=rng.sample(GENRES, rng.randint(1, 3)), added_at=when(i),
            duration_ms=rng.randint(70, 190) * 60_000,
            ids={"tmdb": str(100_000 + i)} if rng.random() > 0.2 else {},
        )  # fmt: skip
        emit(rec, source_id=source_id, library_id=lib)
    for i in range(n_shows):
        show_title = titles.title()
        show = ItemRecord(remote_id=f"s{i}", type="show", title=show_title,
                          year=rng.randint(1960, 2025), rating=round(rng.uniform(3, 10), 1),
                          genres=rng.sample(GENRES, 2), added_at=when(i))  # fmt: skip
        show_id = emit(show, source_id=plex, library_id=lib_ids[1])
        for s in range(1, n_seasons + 1):
            season = ItemRecord(remote_id=f"s{i}s{s}", type="season", title=f"Season {s}",
                                season=s, added_at=when(i))  # fmt: skip
            season_id = emit(season, source_id=plex, library_id=lib_ids[1], parent_id=show_id)
            for e in range(1, n_episodes + 1):
                ep_title = f"{rng.choice(EPISODE_WORDS)} {rng.choice(NOUNS)}"
                episode = ItemRecord(remote_id=f"s{i}s{s}e{e}", type="episode", title=ep_title,
                                     season=s, episode=e, added_at=when(i),
                                     duration_ms=rng.randint(20, 60) * 60_000)  # fmt: skip
                emit(episode, source_id=plex, library_id=lib_ids[1], parent_id=season_id)
    for i in range(n_channels):
        group = i % len(CHANNEL_GROUPS)
        name = f"{CHANNEL_GROUPS[group]} {rng.choice(NOUNS)} {i}"
        rec = ItemRecord(remote_id=f"c{i}", type="channel", title=name, channel_number=i + 1,
                         epg_id=f"ch{i}.example", added_at=when(i))  # fmt: skip
        emit(rec, source_id=iptv, library_id=lib_ids[2], category_id=cat_ids[group])
    _flush(db, rows, genres)
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('items', 'id'), "
                    "(SELECT max(id) FROM items))"
                )
            )
            conn.execute(text("ANALYZE items"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    result.counts = counts
    return result


def _flush(db: Database, rows: list[dict[str, Any]], genres: list[dict[str, Any]]) -> None:
    if rows:
        with db.engine.begin() as conn:
            conn.execute(insert(Item), rows)
            if genres:
                conn.execute(insert(ItemGenre), genres)
    rows.clear()
    genres.clear()


def iter_queries(seed: int = 7, n: int = 200) -> Iterator[str]:
    """Realistic search queries: prefixes, multi-word, accented, folded, typos."""
    rng = random.Random(seed)
    typos = ("godfater", "amelei", "lightouse", "detectve", "horizn", "kingdon", "shadw")
    for i in range(n):
        kind = i % 8
        if kind == 0:
            yield rng.choice(ADJECTIVES + NOUNS)[: rng.randint(1, 4)].lower()
        elif kind == 1:
            yield f"the {rng.choice(ADJECTIVES).lower()}"
        elif kind == 2:
            yield f"{rng.choice(NOUNS)} {rng.choice(NOUNS)[:3]}".lower()
        elif kind == 3:
            yield rng.choice(("amelie", "sorensen", "strasse", "aenima", "lodz", "godf", "москва"))
        elif kind == 4:
            yield rng.choice(typos)
        elif kind == 5:
            yield rng.choice(FOREIGN)
        elif kind == 6:
            yield f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        else:
            yield rng.choice(("t", "th", "the", "a", "s", "dark", "lord ring", "godfather part"))
