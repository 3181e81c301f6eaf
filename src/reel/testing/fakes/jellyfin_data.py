"""The fake Jellyfin server's library: deterministic items, users, tokens and user data.

Everything derives from the seed and the sizes, so two fakes built alike serve the same
ids and titles. Mutation helpers follow the real server's bookkeeping: a metadata change
bumps `DateLastSaved`; a watch-state change touches only the user's data.
"""

from __future__ import annotations

import functools
import hashlib
import random
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

TICKS_PER_SECOND = 10_000_000
BASE_DATE = datetime(2024, 1, 1, tzinfo=UTC)
_ADJECTIVES = ("Silent", "Crimson", "Hidden", "Last", "Broken", "Golden", "Frozen", "Distant")
_NOUNS = ("River", "Empire", "Garden", "Signal", "Harbor", "Machine", "Winter", "Orchard")
_GENRES = ("Drama", "Comedy", "Thriller", "Science Fiction", "Documentary", "Animation")


def stable_id(seed: int, *parts: object) -> str:
    """A GUID in Jellyfin's JSON form (32 hex digits, no dashes), stable for its inputs."""
    return hashlib.md5("/".join(map(str, (seed, *parts))).encode()).hexdigest()


@functools.lru_cache(maxsize=1 << 18)
def dotnet_date(value: datetime) -> str:
    """How Jellyfin writes a UTC DateTime: seven fractional digits and a Z.

    Memoised: every listing writes the same few dates of each item again, and formatting
    them was a fifth of the fake's time per page.
    """
    value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond:06d}0Z"


@dataclass
class FakeItem:
    """One library item with the fields the fake can serve."""

    id: str
    type: str  # Movie | Series | Season | Episode
    name: str
    library_id: str
    parent_id: str
    date_created: datetime
    date_last_saved: datetime
    sort_name: str = ""
    original_title: str | None = None
    overview: str | None = None
    genres: list[str] = field(default_factory=list)
    year: int | None = None
    rating: float | None = None
    runtime_ticks: int | None = None
    index: int | None = None
    parent_index: int | None = None
    series_id: str | None = None
    series_name: str | None = None
    season_id: str | None = None
    season_name: str | None = None
    provider_ids: dict[str, str] = field(default_factory=dict)
    image_tags: dict[str, str] = field(default_factory=dict)
    backdrop_tags: list[str] = field(default_factory=list)
    path: str | None = None


@dataclass
class FakeLibrary:
    """A user view (CollectionFolder)."""

    id: str
    name: str
    collection_type: str


@dataclass
class FakeUser:
    """An account."""

    id: str
    name: str
    password: str


@dataclass
class FakeUserData:
    """UserItemData of one user for one item."""

    position_ticks: int = 0
    play_count: int = 0
    played: bool = False
    last_played: datetime | None = None
    favorite: bool = False


@dataclass
class FakeDevice:
    """An access token and the device it was issued to."""

    token: str
    user_id: str
    device_id: str
    client: str
    version: str
    name: str


class FakeLibraryData:
    """Items, users, tokens and user data, guarded by one lock (tests mutate from another
    thread than the server's)."""

    def __init__(
        self,
        *,
        movies: int,
        shows: int,
        seasons: int,
        episodes: int,
        seed: int,
        users: dict[str, str],
        watched_ratio: float,
    ) -> None:
        self.seed = seed
        self.lock = threading.RLock()
        self.version = 0  # bumped by every catalog change; listing caches key on it
        #: Bumped by every watch-state change: listings filtered or sorted by user data
        #: (IsPlayed, Filters, SortBy=DatePlayed) are cached on it as well.
        self.user_version = 0
        self.items: dict[str, FakeItem] = {}
        self.user_data: dict[tuple[str, str], FakeUserData] = {}
        self.devices: dict[str, FakeDevice] = {}
        self.users = [FakeUser(stable_id(seed, "user", n), n, p) for n, p in users.items()]
        lib = stable_id
        self.libraries = [
            FakeLibrary(lib(seed, "lib", "movies"), "Movies", "movies"),
            FakeLibrary(lib(seed, "lib", "tvshows"), "Shows", "tvshows"),
            FakeLibrary(lib(seed, "lib", "music"), "Music", "music"),
            FakeLibrary(lib(seed, "lib", "boxsets"), "Collections", "boxsets"),
        ]
        self._rng = random.Random(seed)
        self._counter = 0
        self._next_movie = movies
        for n in range(movies):
            self._add_movie(n, BASE_DATE + timedelta(minutes=n))
        for s in range(shows):
            self._add_show(s, seasons, episodes)
        self._seed_user_data(watched_ratio)

    # -- generation ---------------------------------------------------------------------

    def _title(self, n: int) -> str:
        rng = self._rng
        return f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {n + 1}"

    def _images(self, item_id: str, backdrop: bool) -> tuple[dict[str, str], list[str]]:
        tags = {"Primary": stable_id(self.seed, item_id, "primary")}
        backdrops = [stable_id(self.seed, item_id, "backdrop")] if backdrop else []
        return tags, backdrops

    def _add_movie(self, n: int, created: datetime) -> FakeItem:
        rng = self._rng
        item_id = stable_id(self.seed, "movie", n)
        title = self._title(n)
        tags, backdrops = self._images(item_id, backdrop=True)
        item = FakeItem(
            id=item_id,
            type="Movie",
            name=title,
            sort_name=title.removeprefix("The ").lower(),
            library_id=self.libraries[0].id,
            parent_id=self.libraries[0].id,
            date_created=created,
            date_last_saved=created + timedelta(hours=1),
            original_title=title if n % 5 else f"{title} (original)",
            overview=f"Overview of {title}.",
            genres=rng.sample(_GENRES, k=1 + n % 3),
            year=1950 + rng.randrange(76),
            rating=round(rng.uniform(3, 9.5), 1),
            runtime_ticks=rng.randrange(80, 180) * 60 * TICKS_PER_SECOND,
            provider_ids={"Tmdb": str(1000 + n), "Imdb": f"tt{2000000 + n:07d}"},
            image_tags=tags,
            backdrop_tags=backdrops,
            path=f"/media/movies/{title}/{title}.mkv",
        )
        self.items[item_id] = item
        return item

    def _add_show(self, s: int, seasons: int, episodes: int) -> None:
        rng = self._rng
        show_lib = self.libraries[1].id
        created = BASE_DATE + timedelta(days=1, minutes=s)
        series_id = stable_id(self.seed, "series", s)
        title = f"Show {self._title(s)}"
        tags, backdrops = self._images(series_id, backdrop=True)
        self.items[series_id] = FakeItem(
            id=series_id, type="Series", name=title, sort_name=title.lower(),
            library_id=show_lib, parent_id=show_lib, date_created=created,
            date_last_saved=created, overview=f"All about {title}.",
            genres=rng.sample(_GENRES, k=2), year=1990 + rng.randrange(35),
            rating=round(rng.uniform(5, 9.5), 1),
            provider_ids={"Tvdb": str(70000 + s), "Tmdb": str(90000 + s)},
            image_tags=tags, backdrop_tags=backdrops, path=f"/media/shows/{title}",
        )  # fmt: skip
        for z in range(1, seasons + 1):
            season_id = stable_id(self.seed, "season", s, z)
            self.items[season_id] = FakeItem(
                id=season_id, type="Season", name=f"Season {z}", sort_name=f"season {z:03d}",
                library_id=show_lib, parent_id=series_id, date_created=created,
                date_last_saved=created, index=z, series_id=series_id, series_name=title,
                image_tags=self._images(season_id, backdrop=False)[0],
            )  # fmt: skip
            for e in range(1, episodes + 1):
                ep_id = stable_id(self.seed, "episode", s, z, e)
                self.items[ep_id] = FakeItem(
                    id=ep_id, type="Episode", name=f"Episode {e} of {title}",
                    sort_name=f"{z:03d} - {e:04d}", library_id=show_lib, parent_id=season_id,
                    date_created=created, date_last_saved=created, index=e, parent_index=z,
                    series_id=series_id, series_name=title, season_id=season_id,
                    season_name=f"Season {z}", overview=f"Episode {e}.",
                    runtime_ticks=rng.randrange(20, 60) * 60 * TICKS_PER_SECOND,
                    provider_ids={"Tvdb": str(stable_id(self.seed, ep_id)[:6])},
                    image_tags={} if e % 7 == 0 else self._images(ep_id, backdrop=False)[0],
                )  # fmt: skip

    def _seed_user_data(self, ratio: float) -> None:
        rng = random.Random(self.seed * 7919 + 1)
        owner = self.users[0].id
        for item in self.items.values():
            if item.type not in ("Movie", "Episode"):
                continue
            roll = rng.random()
            if roll < ratio:
                played_at = BASE_DATE + timedelta(days=30, minutes=rng.randrange(100000))
                self.user_data[owner, item.id] = FakeUserData(
                    play_count=1 + rng.randrange(3), played=True, last_played=played_at
                )
            elif roll < ratio * 1.4 and item.runtime_ticks:
                self.user_data[owner, item.id] = FakeUserData(
                    position_ticks=item.runtime_ticks // 3,
                    last_played=BASE_DATE + timedelta(days=40),
                )

    # -- lookups ------------------------------------------------------------------------

    def user_by_name(self, name: str) -> FakeUser | None:
        """Jellyfin matches user names case-insensitively."""
        return next((u for u in self.users if u.name.lower() == name.lower()), None)

    def user_by_id(self, user_id: str) -> FakeUser | None:
        """The user with this id (dashes and case do not matter)."""
        key = user_id.replace("-", "").lower()
        return next((u for u in self.users if u.id == key), None)

    def data_for(self, user_id: str, item_id: str) -> FakeUserData:
        """The user's data for an item, to read: one shared default when none is stored
        (filters ask for every item of a library, most of them never played). Changes go
        through `user_data.setdefault`, as `set_played` does."""
        return self.user_data.get((user_id, item_id)) or _NO_DATA

    # -- sessions ------------------------------------------------------------------------

    def login(self, user: FakeUser, device_id: str, client: str, version: str, name: str) -> str:
        """Issue a token; a new login from the same device ends that device's old tokens."""
        with self.lock:
            for token, device in list(self.devices.items()):
                if device.device_id == device_id and device.user_id == user.id:
                    del self.devices[token]
            token = secrets.token_hex(16)
            self.devices[token] = FakeDevice(token, user.id, device_id, client, version, name)
            return token

    def revoke_tokens(self) -> None:
        """Sign every device out (an admin revoking access, a password reset)."""
        with self.lock:
            self.devices.clear()

    # -- mutations for incremental tests -------------------------------------------------

    def _pick(self, n: int, kind: str) -> list[FakeItem]:
        chosen = [item for item in self.items.values() if item.type == kind]
        step = max(1, len(chosen) // max(1, n))
        return chosen[::step][:n]

    def change_metadata(self, n: int, kind: str = "Movie") -> list[str]:
        """Retitle `n` items of a kind; bumps their DateLastSaved like a metadata refresh."""
        with self.lock:
            self._counter += 1
            now = datetime.now(UTC)
            picked = self._pick(n, kind)
            for item in picked:
                item.name = f"{item.name} (rev {self._counter})"
                item.overview = f"Revised overview {self._counter}."
                item.date_last_saved = now
            self.version += 1
            return [item.id for item in picked]

    def delete(self, n: int, kind: str = "Movie") -> list[str]:
        """Remove `n` items of a kind, with their seasons and episodes."""
        with self.lock:
            gone = {item.id for item in self._pick(n, kind)}
            for item in list(self.items.values()):
                if item.series_id in gone or item.season_id in gone:
                    gone.add(item.id)
            for item_id in gone:
                del self.items[item_id]
            self.version += 1
            return sorted(gone)

    def add_movies(self, n: int) -> list[str]:
        """New movies, created and saved now."""
        with self.lock:
            now = datetime.now(UTC)
            added = [self._add_movie(self._next_movie + i, now) for i in range(n)]
            self._next_movie += n
            for item in added:
                item.date_last_saved = now
            self.version += 1
            return [item.id for item in added]

    def set_played(self, item_ids: list[str], played: bool, user_id: str | None = None) -> None:
        """Watch state changed on another device: DateLastSaved does NOT move."""
        with self.lock:
            user = user_id or self.users[0].id
            for item_id in item_ids:
                data = self.user_data.setdefault((user, item_id), FakeUserData())
                mark_played(data, played, datetime.now(UTC))
            self.user_version += 1

    def set_progress(
        self, item_ids: list[str], position_ms: int, user_id: str | None = None
    ) -> None:
        """Playback stopped part-way on another device: a resume point and a play date."""
        with self.lock:
            user = user_id or self.users[0].id
            now = datetime.now(UTC)
            for item_id in item_ids:
                data = self.user_data.setdefault((user, item_id), FakeUserData())
                data.position_ticks = max(0, position_ms) * 10_000
                data.last_played = now
            self.user_version += 1


_NO_DATA = FakeUserData()


def mark_played(
    data: FakeUserData, played: bool, when: datetime, date_played: datetime | None = None
) -> None:
    """What `BaseItem.MarkPlayed` / `MarkUnplayed` do for POST/DELETE /UserPlayedItems/{id}.

    Marking played without a `datePlayed` keeps an earlier `LastPlayedDate` and does not
    add a play (only ensures one); marking unplayed clears the count and the date, so no
    date filter or DatePlayed sort can find an item marked unplayed.
    """
    if played:
        if date_played is not None:
            data.play_count += 1
        data.play_count = max(data.play_count, 1)
        data.last_played = date_played or data.last_played or when
        data.played = True
    else:
        data.play_count = 0
        data.last_played = None
        data.played = False
    data.position_ticks = 0


def apply_stop(data: FakeUserData, ticks: int, runtime: int | None, when: datetime) -> None:
    """The server's resume rules on playback stop (min 5 %, played from 90 %)."""
    if runtime and ticks >= runtime * 0.9:
        mark_played(data, True, when, date_played=when)
    elif runtime and ticks < runtime * 0.05:
        data.position_ticks = 0
    else:
        data.position_ticks = ticks
        data.last_played = when
