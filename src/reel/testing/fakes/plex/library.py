"""The fake Plex server's library: deterministic sections and items, watch state, mutations.

Items are generated from a seed so the same sizes always give the same library. Times are
fixed in the past (so a sync started "now" sees them as old); mutations stamp the real
clock, as a server would, so incremental filters (`updatedAt>>=`) find them.
Watch-state changes follow Plex: they never bump `updatedAt`; unwatching removes
`lastViewedAt`, `viewCount` and `viewOffset`.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

BASE_TIME = 1_700_000_000  # 2023-11-14, well before any test runs
GENRES = ("Action", "Comedy", "Drama", "Sci-Fi", "Thriller", "Animation", "Documentary")
WORDS = (
    "Silent",
    "Red",
    "Last",
    "Hidden",
    "Broken",
    "Golden",
    "Lost",
    "Night",
    "River",
    "Winter",
    "Storm",
    "City",
    "Garden",
    "Mirror",
    "Signal",
    "Harbor",
)
PART_SIZE = 256 * 1024


@dataclass(frozen=True)
class Section:
    key: int
    type: str  # movie | show | artist
    title: str
    uuid: str
    agent: str
    scanner: str


@dataclass(slots=True)
class Item:
    rating_key: int
    type: str
    section: int
    title: str
    year: int | None
    summary: str
    added_at: int
    updated_at: int
    duration: int | None = None
    parent: int | None = None
    grandparent: int | None = None
    index: int | None = None
    parent_index: int | None = None
    rating: float | None = None
    audience_rating: float | None = None
    content_rating: str | None = None
    studio: str | None = None
    genres: tuple[str, ...] = ()
    guids: tuple[str, ...] = ()
    view_count: int = 0
    view_offset: int = 0
    last_viewed_at: int | None = None
    part_id: int | None = None
    container: str = "mkv"
    children: list[int] = field(default_factory=list)

    @property
    def key(self) -> str:
        if self.type in ("show", "season"):
            return f"/library/metadata/{self.rating_key}/children"
        return f"/library/metadata/{self.rating_key}"

    @property
    def part_key(self) -> str | None:
        if self.part_id is None:
            return None
        return f"/library/parts/{self.part_id}/{self.updated_at}/file.{self.container}"


@dataclass
class LibraryConfig:
    movies: int = 20
    shows: int = 3
    seasons: int = 2
    episodes: int = 4
    seed: int = 1
    watched_every: int = 4  # every Nth movie/episode is watched
    progress_every: int = 7  # every Nth is half watched


class Library:
    """All items of one fake server; a lock guards mutations from test threads."""

    def __init__(self, config: LibraryConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.sections = [
            Section(
                1,
                "movie",
                "Movies",
                "805308ec-5019-43d4-a449-75d2b9e42f93",
                "tv.plex.agents.movie",
                "Plex Movie",
            ),
            Section(
                2,
                "show",
                "TV Shows",
                "905308ec-5019-43d4-a449-75d2b9e42f93",
                "tv.plex.agents.series",
                "Plex TV Series",
            ),
            Section(
                3,
                "artist",
                "Music",
                "1eeace5d-4839-45e8-90b0-8d03b3375744",
                "tv.plex.agents.music",
                "Plex Music",
            ),
        ]
        self._sections = {section.key: section for section in self.sections}
        self.items: dict[int, Item] = {}
        self._index: dict[tuple[int, str], list[Item]] | None = None
        self._next_key = 1
        self._next_part = 1000
        self._rng = random.Random(config.seed)
        self._generate()

    # generation ---------------------------------------------------------------------------
    def _key(self) -> int:
        key, self._next_key = self._next_key, self._next_key + 1
        return key

    def _title(self) -> str:
        return " ".join(self._rng.sample(WORDS, 2))

    def _watch(self, item: Item, n: int) -> None:
        cfg = self.config
        if cfg.watched_every and n % cfg.watched_every == 0:
            item.view_count = 1 + n % 3
            item.last_viewed_at = item.added_at + 86_400
        elif cfg.progress_every and n % cfg.progress_every == 0 and item.duration:
            item.view_offset = item.duration // 2
            item.last_viewed_at = item.added_at + 3_600

    def _playable(self, item: Item) -> None:
        item.part_id = self._next_part
        self._next_part += 1
        item.container = "mkv" if item.rating_key % 2 else "mp4"

    def add_movie(self, now: int | None = None) -> Item:
        rng, key = self._rng, self._key()
        added = now if now is not None else BASE_TIME - rng.randint(86_400, 5 * 365 * 86_400)
        movie = Item(
            rating_key=key,
            type="movie",
            section=1,
            title=f"{self._title()} {key}",
            year=rng.randint(1950, 2023),
            summary=f"The story of movie {key}.",
            added_at=added,
            updated_at=now if now is not None else added + rng.randint(0, 86_400),
            duration=rng.randint(80, 180) * 60_000,
            rating=round(rng.uniform(3, 10), 1),
            audience_rating=round(rng.uniform(3, 10), 1),
            content_rating=rng.choice(("PG", "PG-13", "R")),
            studio="Fake Studio",
            genres=tuple(rng.sample(GENRES, 2)),
            guids=(f"imdb://tt{1000000 + key}", f"tmdb://{50000 + key}"),
        )
        self._playable(movie)
        self.items[key] = movie
        self._index = None
        return movie

    def _generate(self) -> None:
        cfg, rng = self.config, self._rng
        for n in range(1, cfg.movies + 1):
            self._watch(self.add_movie(), n)
        episode_n = 0
        for _ in range(cfg.shows):
            show_key = self._key()
            added = BASE_TIME - rng.randint(86_400, 5 * 365 * 86_400)
            year = rng.randint(1990, 2023)
            show = Item(
                rating_key=show_key,
                type="show",
                section=2,
                title=f"{self._title()} Show {show_key}",
                year=year,
                summary=f"A series numbered {show_key}.",
                added_at=added,
                updated_at=added + 3600,
                rating=round(rng.uniform(3, 10), 1),
                audience_rating=round(rng.uniform(3, 10), 1),
                content_rating="TV-14",
                studio="Fake Network",
                genres=tuple(rng.sample(GENRES, 2)),
                guids=(
                    f"imdb://tt{2000000 + show_key}",
                    f"tmdb://{70000 + show_key}",
                    f"tvdb://{300000 + show_key}",
                ),
            )
            self.items[show_key] = show
            for s in range(1, cfg.seasons + 1):
                season_key = self._key()
                season = Item(
                    rating_key=season_key,
                    type="season",
                    section=2,
                    title=f"Season {s}",
                    year=None,
                    summary="",
                    added_at=added,
                    updated_at=added + 3600,
                    parent=show_key,
                    index=s,
                    parent_index=1,
                    guids=(f"tvdb://{400000 + season_key}",),
                )
                self.items[season_key] = season
                show.children.append(season_key)
                for e in range(1, cfg.episodes + 1):
                    episode_n += 1
                    ep_key = self._key()
                    episode = Item(
                        rating_key=ep_key,
                        type="episode",
                        section=2,
                        title=f"Episode {e}",
                        year=year + s - 1,
                        summary=f"Episode {e} of season {s}.",
                        added_at=added + s * 86_400 * 90 + e * 86_400,
                        updated_at=added + s * 86_400 * 90 + e * 86_400 + 60,
                        duration=rng.randint(20, 60) * 60_000,
                        parent=season_key,
                        grandparent=show_key,
                        index=e,
                        parent_index=s,
                        content_rating="TV-14",
                        rating=round(rng.uniform(3, 10), 1),
                        guids=(
                            f"imdb://tt{3000000 + ep_key}",
                            f"tmdb://{90000 + ep_key}",
                            f"tvdb://{500000 + ep_key}",
                        ),
                    )
                    self._playable(episode)
                    self._watch(episode, episode_n)
                    self.items[ep_key] = episode
                    season.children.append(ep_key)

    # queries ------------------------------------------------------------------------------
    def section(self, key: int) -> Section | None:
        return self._sections.get(key)

    def of(self, section: int, item_type: str) -> list[Item]:
        """Items of one type in a section, in ratingKey order (the listing order)."""
        with self.lock:
            if self._index is None:
                index: dict[tuple[int, str], list[Item]] = {}
                for item in self.items.values():
                    index.setdefault((item.section, item.type), []).append(item)
                self._index = index
            return self._index.get((section, item_type), [])

    def leaves(self, item: Item) -> list[Item]:
        """Episodes under a show or season (what `/allLeaves` lists)."""
        if item.type == "season":
            return [self.items[k] for k in item.children if k in self.items]
        if item.type == "show":
            return [
                leaf
                for k in item.children
                if k in self.items
                for leaf in self.leaves(self.items[k])
            ]
        return []

    def children(self, item: Item) -> list[Item]:
        return [self.items[k] for k in item.children if k in self.items]

    def by_part(self, part_id: int) -> Item | None:
        return next((i for i in self.items.values() if i.part_id == part_id), None)

    # watch state (what scrobble / unscrobble / timeline do) -------------------------------
    def _targets(self, key: int) -> list[Item]:
        item = self.items.get(key)
        if item is None:
            return []
        return self.leaves(item) if item.type in ("show", "season") else [item]

    def mark_watched(self, key: int, now: int | None = None) -> bool:
        with self.lock:
            targets = self._targets(key)
            for item in targets:
                item.view_count += 1
                item.view_offset = 0
                item.last_viewed_at = now or int(time.time())
            return bool(targets)

    def mark_unwatched(self, key: int) -> bool:
        with self.lock:
            targets = self._targets(key)
            for item in targets:
                item.view_count, item.view_offset, item.last_viewed_at = 0, 0, None
            return bool(targets)

    def timeline(self, key: int, state: str, time_ms: int, duration: int | None) -> bool:
        """A playback report: keeps the offset; past 90 % of the duration counts as watched."""
        with self.lock:
            item = self.items.get(key)
            if item is None or item.type not in ("movie", "episode"):
                return False
            length = duration or item.duration or 0
            if state == "stopped" and length and time_ms >= 0.9 * length:
                return self.mark_watched(key)
            item.view_offset = max(int(time_ms), 0)
            item.last_viewed_at = int(time.time())
            return True

    # mutations for incremental tests -------------------------------------------------------
    def keys_of(self, item_type: str) -> list[int]:
        with self.lock:
            return [k for k, i in self.items.items() if i.type == item_type]

    def touch(self, keys: list[int], now: int | None = None) -> None:
        """Change metadata (title, summary) the way a refresh does: bumps `updatedAt`."""
        with self.lock:
            stamp = now or int(time.time())
            for key in keys:
                item = self.items[key]
                item.title = f"{item.title} (edited)"
                item.summary = f"{item.summary} Edited."
                item.updated_at = stamp

    def delete(self, keys: list[int]) -> None:
        """Remove items and everything under them."""
        with self.lock:
            for key in keys:
                item = self.items.pop(key, None)
                if item is None:
                    continue
                self._index = None
                self.delete(list(item.children))
                parent = self.items.get(item.parent) if item.parent else None
                if parent is not None and key in parent.children:
                    parent.children.remove(key)

    def add_movies(self, count: int, now: int | None = None) -> list[int]:
        with self.lock:
            stamp = now or int(time.time())
            return [self.add_movie(now=stamp).rating_key for _ in range(count)]
