"""The fake panel's catalog: computed from (index, seed) on demand, never stored item by item.

A 100k-film catalog held as dicts would cost hundreds of MB in the process that serves it
(and benchmarks measure that process's memory), so the state is only the sizes plus the
mutations tests applied; every entry is rebuilt from its index when a listing is rendered.
The quirks real panels show (numbers as strings, null categories, duplicates, empty names,
`info: []`, episodes as dict or list) are sprinkled by index so that they are deterministic.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from reel.testing.fakes.xtream import names
from reel.testing.fakes.xtream.names import mix

Kind = Literal["live", "vod", "series"]
KINDS: tuple[Kind, ...] = ("live", "vod", "series")

LIVE_ID_BASE = 100_000
VOD_ID_BASE = 1_000_000
SERIES_ID_BASE = 5_000
EPISODE_ID_BASE = 50_000_000
CATEGORY_ID_BASE = {"live": 1, "vod": 1001, "series": 2001}
SALT = {"live": 1, "vod": 2, "series": 3}
EPOCH = 1_600_000_000


@dataclass
class XtreamFakeConfig:
    """Sizes, credentials and behaviour of one fake panel."""

    live: int = 40
    vod: int = 60
    series: int = 12
    seasons: int = 2
    episodes_per_season: int = 3
    live_categories: int = 6
    vod_categories: int = 6
    series_categories: int = 4
    username: str = "reel"
    password: str = "reel-pass"
    seed: int = 1
    quirks: bool = True
    allowed_output_formats: tuple[str, ...] = ("m3u8", "ts")
    # None: classic panels answer bad credentials with 200 {"user_info":{"auth":0}}
    bad_auth_status: int | None = None
    status: str = "Active"
    exp_date: int | None = 1_797_326_326
    max_connections: int = 2
    timezone: str = "Europe/Istanbul"
    epg_hours: int = 6
    epg_start: datetime | None = None
    public_url: str = "http://127.0.0.1"

    def categories(self, kind: Kind) -> int:
        count: int = getattr(self, f"{kind}_categories")
        return max(count, 1)


@dataclass
class _KindState:
    base: int
    added: int = 0
    removed: set[int] = field(default_factory=set)
    renamed: dict[int, str] = field(default_factory=dict)
    recategorised: dict[int, int] = field(default_factory=dict)
    touched: dict[int, int] = field(default_factory=dict)

    def indexes(self) -> Iterator[int]:
        removed = self.removed
        return (i for i in range(self.base + self.added) if i not in removed)

    def has(self, i: int) -> bool:
        return 0 <= i < self.base + self.added and i not in self.removed


def _ts(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class XtreamCatalog:
    """What the panel holds right now, plus the mutation helpers sync tests drive."""

    def __init__(self, config: XtreamFakeConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.version = 0
        self.state: dict[Kind, _KindState] = {
            "live": _KindState(config.live),
            "vod": _KindState(config.vod),
            "series": _KindState(config.series),
        }
        start = config.epg_start or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self.epg_start = start - timedelta(hours=1) if config.epg_start is None else start

    # ---- ids -------------------------------------------------------------------------
    @staticmethod
    def stream_id(kind: Kind, i: int) -> int:
        return {"live": LIVE_ID_BASE, "vod": VOD_ID_BASE, "series": SERIES_ID_BASE}[kind] + i

    @staticmethod
    def episode_id(series_index: int, season: int, episode: int) -> int:
        return EPISODE_ID_BASE + series_index * 10_000 + season * 100 + episode

    def index_of(self, kind: Kind, remote_id: object) -> int | None:
        """The index of a present item with that id, or None."""
        try:
            value = int(str(remote_id))
        except ValueError:
            return None
        i = value - self.stream_id(kind, 0)
        return i if self.state[kind].has(i) else None

    def episode(self, episode_id: object) -> tuple[int, int, int] | None:
        """(series index, season, episode) of a present episode id, or None."""
        try:
            offset = int(str(episode_id)) - EPISODE_ID_BASE
        except ValueError:
            return None
        if offset < 0:
            return None
        i, rest = divmod(offset, 10_000)
        season, number = divmod(rest, 100)
        if not self.state["series"].has(i) or self.episodes_layout(i) == "none":
            return None
        if 1 <= season <= self.config.seasons and 1 <= number <= self.episode_count(i, season):
            return i, season, number
        return None

    def indexes(self, kind: Kind) -> list[int]:
        return list(self.state[kind].indexes())

    def count(self, kind: Kind) -> int:
        """Distinct items of a kind (duplicated entries count once)."""
        st = self.state[kind]
        return st.base + st.added - len(st.removed)

    # ---- categories ------------------------------------------------------------------
    def category_ids(self, kind: Kind) -> list[str]:
        base = CATEGORY_ID_BASE[kind]
        return [str(base + k) for k in range(self.config.categories(kind))]

    def category_entries(self, kind: Kind) -> list[dict[str, Any]]:
        seed = self.config.seed
        out = []
        for k, cid in enumerate(self.category_ids(kind)):
            prefix = names.PREFIXES[k % len(names.PREFIXES)]
            name = f"{prefix} ➾ {names.WORDS[mix(k, seed, SALT[kind] + 40) % len(names.WORDS)]}"
            out.append({"category_id": cid, "category_name": name, "parent_id": 0})
        return out

    def category_of(self, kind: Kind, i: int) -> str:
        n = self.config.categories(kind)
        k = (
            mix(i, self.config.seed, SALT[kind] + 5) + self.state[kind].recategorised.get(i, 0)
        ) % n
        return str(CATEGORY_ID_BASE[kind] + k)

    def _category_field(self, kind: Kind, i: int) -> str | None:
        if self.config.quirks and i % 23 == 5:
            return None
        if self.config.quirks and i % 29 == 7:
            return ""
        return self.category_of(kind, i)

    # ---- names -----------------------------------------------------------------------
    def base_title(self, kind: Kind, i: int) -> str:
        """The clean title the adapter should end up with (before name decorations)."""
        renamed = self.state[kind].renamed.get(i)
        return renamed or names.title(i, self.config.seed, SALT[kind])

    def year(self, kind: Kind, i: int) -> int:
        return names.year(i, self.config.seed, SALT[kind])

    def has_empty_name(self, kind: Kind, i: int) -> bool:
        period = {"live": 211, "vod": 199, "series": 101}[kind]
        return (
            self.config.quirks and i % period == period // 3 and i not in self.state[kind].renamed
        )

    def is_duplicated(self, kind: Kind, i: int) -> bool:
        period = {"live": 97, "vod": 89, "series": 43}[kind]
        return self.config.quirks and i % period == 13

    def live_name(self, i: int) -> str:
        if self.has_empty_name("live", i):
            return ""
        h = mix(i, self.config.seed, 7)
        prefix = names.PREFIXES[h % len(names.PREFIXES)]
        suffix = names.CHANNEL_SUFFIXES[(h >> 4) % len(names.CHANNEL_SUFFIXES)]
        return f"{prefix}: {self.base_title('live', i)} {suffix}".rstrip()

    def vod_name(self, i: int) -> str:
        if self.has_empty_name("vod", i):
            return ""
        title, year = self.base_title("vod", i), self.year("vod", i)
        style = mix(i, self.config.seed, 8) % 4 if self.config.quirks else 0
        if style == 1:
            return f"{title} | {year} | {self.rating_value('vod', i):.1f}"
        if style == 2:
            prefix = names.PREFIXES[i % len(names.PREFIXES)]
            return f"{prefix} - {title} ({year})"
        if style == 3:
            return title
        return f"{title} ({year})"

    def series_name(self, i: int) -> str:
        if self.has_empty_name("series", i):
            return ""
        return f"{self.base_title('series', i)} ({self.year('series', i)})"

    # ---- scalar fields ---------------------------------------------------------------
    def rating_value(self, kind: Kind, i: int) -> float:
        return (mix(i, self.config.seed, SALT[kind] + 60) % 90) / 10

    def rating_field(self, kind: Kind, i: int) -> Any:
        value = self.rating_value(kind, i)
        if not self.config.quirks:
            return f"{value:.1f}"
        return (f"{value:.1f}", "", None, value, int(value))[i % 5]

    def added(self, kind: Kind, i: int) -> int:
        return EPOCH + mix(i, self.config.seed, SALT[kind] + 70) % (4 * 365 * 86400)

    def last_modified(self, i: int) -> int:
        return self.added("series", i) + 3600 + self.state["series"].touched.get(i, 0) * 86400

    def epg_id(self, i: int) -> str | None:
        if self.config.quirks and i % 4 == 3:
            return None
        return f"chan{i}.{names.PREFIXES[i % len(names.PREFIXES)].lower()}"

    def extension(self, kind: Kind, i: int) -> str:
        return names.EXTENSIONS[mix(i, self.config.seed, SALT[kind] + 80) % len(names.EXTENSIONS)]

    def tmdb_id(self, kind: Kind, i: int) -> int | None:
        if self.config.quirks and i % 3 == 0:
            return None
        return 10_000 + mix(i, self.config.seed, SALT[kind] + 90) % 900_000

    def image(self, kind: str, ident: int) -> str:
        return f"{self.config.public_url}/images/{kind}/{ident}.png"

    # ---- series layout ---------------------------------------------------------------
    def episodes_layout(self, i: int) -> Literal["dict", "lists", "flat", "none"]:
        """How get_series_info shapes `episodes` for this series (panels differ)."""
        if not self.config.quirks:
            return "dict"
        if i % 13 == 6:
            return "none"
        if i % 11 == 5:
            return "lists"
        if i % 17 == 8:
            return "flat"
        return "dict"

    def episode_count(self, i: int, season: int) -> int:
        extra = self.state["series"].touched.get(i, 0) if season == self.config.seasons else 0
        return self.config.episodes_per_season + extra

    def episode_title(self, i: int, season: int, number: int) -> str:
        return names.title(i * 1000 + season * 50 + number, self.config.seed, 9)

    # ---- mutations (each returns the remote ids it touched) ---------------------------
    def _pick(self, kind: Kind, n: int) -> list[int]:
        present = self.indexes(kind)
        if n <= 0 or not present:
            return []
        n = min(n, len(present))
        return sorted({present[j * len(present) // n] for j in range(n)})

    def _ids(self, kind: Kind, picked: list[int]) -> list[str]:
        return [str(self.stream_id(kind, i)) for i in picked]

    def add(self, kind: Kind, n: int) -> list[str]:
        with self.lock:
            st = self.state[kind]
            first = st.base + st.added
            st.added += n
            self.version += 1
            return self._ids(kind, list(range(first, first + n)))

    def remove(self, kind: Kind, n: int) -> list[str]:
        with self.lock:
            picked = self._pick(kind, n)
            self.state[kind].removed.update(picked)
            self.version += 1
            return self._ids(kind, picked)

    def rename(self, kind: Kind, n: int, suffix: str = "Renamed") -> list[str]:
        with self.lock:
            picked = self._pick(kind, n)
            for i in picked:
                self.state[kind].renamed[i] = (
                    f"{names.title(i, self.config.seed, SALT[kind])} {suffix} {self.version + 1}"
                )
            self.version += 1
            return self._ids(kind, picked)

    def recategorise(self, kind: Kind, n: int) -> list[str]:
        with self.lock:
            picked = self._pick(kind, n)
            moves = self.state[kind].recategorised
            for i in picked:
                moves[i] = moves.get(i, 0) + 1
            self.version += 1
            return self._ids(kind, picked)

    def touch_series(self, n: int) -> list[str]:
        """Bump `last_modified` and add one episode to the last season of n series."""
        with self.lock:
            picked = [i for i in self._pick("series", n) if self.episodes_layout(i) != "none"]
            touched = self.state["series"].touched
            for i in picked:
                touched[i] = touched.get(i, 0) + 1
            self.version += 1
            return self._ids("series", picked)
