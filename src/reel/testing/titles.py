"""A deterministic world of films and shows shared by the fake TMDB and the name generator.

The fake serves exactly these records and the labelled name generator names files after
them, so identification precision and recall can be measured against known answers.
The world holds the cases that make matching hard: remakes and same-name films in other
years, foreign titles with an English title, accents, articles, punctuation, numbers in
titles, shows that share a name, anime with absolute numbering, daily shows by date, and
near-miss distractors that no file is named after.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from reel.metadata.match import normalize_title

MOVIE_GENRES = {
    28: "Action", 12: "Adventure", 16: "Animation", 35: "Comedy", 80: "Crime",
    99: "Documentary", 18: "Drama", 10751: "Family", 14: "Fantasy", 36: "History",
    27: "Horror", 10402: "Music", 9648: "Mystery", 10749: "Romance",
    878: "Science Fiction", 53: "Thriller", 10752: "War", 37: "Western",
}  # fmt: skip
TV_GENRES = {
    10759: "Action & Adventure", 16: "Animation", 35: "Comedy", 80: "Crime",
    99: "Documentary", 18: "Drama", 10751: "Family", 9648: "Mystery", 10763: "News",
    10765: "Sci-Fi & Fantasy", 10767: "Talk", 37: "Western",
}  # fmt: skip

# (title, original title, original language, years, alternative titles)
CURATED_MOVIES: list[tuple[str, str | None, str, tuple[int, ...], tuple[str, ...]]] = [
    ("The Thing", None, "en", (1951, 1982, 2011), ()),
    ("Dune", None, "en", (1984, 2021), ()),
    ("Dune: Part Two", None, "en", (2024,), ()),
    ("Solaris", "Солярис", "ru", (1972,), ()),
    ("Solaris", None, "en", (2002,), ()),
    ("Amélie", "Le Fabuleux Destin d'Amélie Poulain", "fr", (2001,), ("Amelie from Montmartre",)),
    ("Léon: The Professional", "Léon", "fr", (1994,), ("Leon", "The Professional")),
    ("Mission: Impossible", None, "en", (1996,), ()),
    ("Mission: Impossible - Fallout", None, "en", (2018,), ()),
    ("Les Misérables", None, "en", (1998, 2012), ()),
    ("Ocean's Eleven", None, "en", (1960, 2001), ()),
    ("The Italian Job", None, "en", (1969, 2003), ()),
    ("Halloween", None, "en", (1978, 2007, 2018), ()),
    ("King Kong", None, "en", (1933, 1976, 2005), ()),
    ("Blade Runner", None, "en", (1982,), ()),
    ("Blade Runner 2049", None, "en", (2017,), ()),
    ("Alien", None, "en", (1979,), ()),
    ("Aliens", None, "en", (1986,), ()),
    ("Pan's Labyrinth", "El laberinto del fauno", "es", (2006,), ()),
    ("Seven Samurai", "七人の侍", "ja", (1954,), ("Shichinin no samurai",)),
    ("Crouching Tiger, Hidden Dragon", "臥虎藏龍", "zh", (2000,), ()),
    ("Das Boot", None, "de", (1981,), ("The Boat",)),
    ("The Good, the Bad and the Ugly", "Il buono, il brutto, il cattivo", "it", (1966,), ()),
    ("Se7en", None, "en", (1995,), ("Seven",)),
    ("1917", None, "en", (2019,), ()),
    ("2012", None, "en", (2009,), ()),
    ("12 Angry Men", None, "en", (1957, 1997), ()),
    ("3:10 to Yuma", None, "en", (1957, 2007), ()),
    ("WALL·E", None, "en", (2008,), ("WALL-E",)),
    ("Æon Flux", None, "en", (2005,), ("Aeon Flux",)),
    ("Total Recall", None, "en", (1990, 2012), ()),
    ("RoboCop", None, "en", (1987, 2014), ()),
    ("Ghostbusters", None, "en", (1984, 2016), ()),
    ("True Grit", None, "en", (1969, 2010), ()),
    ("The Fly", None, "en", (1958, 1986), ()),
    ("Psycho", None, "en", (1960, 1998), ()),
    ("Spider-Man", None, "en", (2002,), ()),
    ("Spider-Man 2", None, "en", (2004,), ()),
    ("Heat", None, "en", (1995,), ()),
    ("Le Samouraï", None, "fr", (1967,), ("The Samurai",)),
    ("Der Himmel über Berlin", None, "de", (1987,), ("Wings of Desire",)),
]

# (name, original name, language, first air years, anime, daily)
CURATED_SHOWS: list[tuple[str, str | None, str, tuple[int, ...], bool, bool]] = [
    ("The Office", None, "en", (2001, 2005), False, False),
    ("Shameless", None, "en", (2004, 2011), False, False),
    ("Doctor Who", None, "en", (1963, 2005), False, False),
    ("Battlestar Galactica", None, "en", (1978, 2004), False, False),
    ("Money Heist", "La casa de papel", "es", (2017,), False, False),
    ("Dark", None, "de", (2017,), False, False),
    ("Twin Peaks", None, "en", (1990,), False, False),
    ("One Piece", "ワンピース", "ja", (1999,), True, False),
    ("Cowboy Bebop", "カウボーイビバップ", "ja", (1998,), True, False),
    ("The Daily Show", None, "en", (1996,), False, True),
    ("Jeopardy!", None, "en", (1984,), False, True),
    ("Pokémon", "ポケットモンスター", "ja", (1997,), True, False),
]


def _split(text: str) -> list[str]:
    return text.split()


_ADJ = _split(
    "Silent Crimson Hidden Broken Golden Last Lost Frozen Burning Endless Savage Quiet "
    "Distant Bitter Hollow Iron Northern Wild Secret Midnight Scarlet Pale Restless Fallen "
    "Sacred Dark Bright Silver Stolen Forgotten Wandering Hungry Velvet Electric Lonely "
    "Crooked Shattered Violent Gentle Cold Eternal Rogue Final Second Perfect Open Black"
)
_NOUN = _split(
    "River Harbor Kingdom Garden Witness Frontier Horizon Empire Signal Tide Mirror Orchard "
    "Machine Harvest Voyage Country Winter Summer Shadow Storm Circle Letter Island Station "
    "Bridge Crown Hunter Widow Stranger Desert Promise Engine Orbit Lantern Valley Canyon "
    "Prophet Season Ghost Fortress Compass Anthem Comet Heart Republic Cathedral Ritual Tower"
)
_NAMES = _split(
    "Marlowe Ingrid Tomás Zoë Björn Chloé Renée Mateo Hélène Søren Agnès Nikolai Margot "
    "Aurélien Dagny Jules Ottilie Rafael Inés Łukasz"
)
_FORMS = (
    "{adj} {noun}", "The {adj} {noun}", "The {noun} of {noun2}", "{name}",
    "{name}'s {noun}", "{adj} {noun}: {noun2} of the {adj2}", "A {noun} in {noun2}",
    "{noun} & {noun2}", "The {noun}", "{adj} {noun} {num}", "{name} and the {noun}",
    "Le {noun} {adj}", "Los {noun}s",
)  # fmt: skip


@dataclass(frozen=True)
class Episode:
    number: int
    name: str
    air_date: str
    runtime: int


@dataclass(frozen=True)
class Season:
    number: int
    episodes: tuple[Episode, ...]


@dataclass(frozen=True)
class Movie:
    id: int
    title: str
    original_title: str
    original_language: str
    release_date: str  # "" when unknown, as TMDB sends it
    popularity: float
    genre_ids: tuple[int, ...]
    runtime: int
    imdb_id: str
    alt_titles: tuple[str, ...] = ()
    vote_average: float = 6.5
    certification: str = "PG-13"
    labelled: bool = True  # False: a distractor no generated file is named after

    @property
    def year(self) -> int | None:
        return int(self.release_date[:4]) if self.release_date else None


@dataclass(frozen=True)
class Show:
    id: int
    name: str
    original_name: str
    original_language: str
    first_air_date: str
    popularity: float
    genre_ids: tuple[int, ...]
    imdb_id: str
    tvdb_id: int
    seasons: tuple[Season, ...]
    alt_titles: tuple[str, ...] = ()
    anime: bool = False
    daily: bool = False
    content_rating: str = "TV-14"
    labelled: bool = True

    @property
    def year(self) -> int | None:
        return int(self.first_air_date[:4]) if self.first_air_date else None


@dataclass
class World:
    movies: list[Movie] = field(default_factory=list)
    shows: list[Show] = field(default_factory=list)
    unknown_titles: list[tuple[str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.movie_by_id = {m.id: m for m in self.movies}
        self.show_by_id = {s.id: s for s in self.shows}


def _title(rng: random.Random) -> str:
    form = rng.choice(_FORMS)
    adj, adj2 = rng.sample(_ADJ, 2)
    noun, noun2 = rng.sample(_NOUN, 2)
    return form.format(
        adj=adj, adj2=adj2, noun=noun, noun2=noun2, name=rng.choice(_NAMES),
        num=rng.choice(("2", "II", "3", "Zero", "1999")),
    )  # fmt: skip


def _date(rng: random.Random, year: int) -> str:
    return (date(year, 1, 1) + timedelta(days=rng.randrange(365))).isoformat()


def _popularity(rng: random.Random) -> float:
    return round(min(400.0, rng.expovariate(1 / 12) + 0.6), 3)


def _seasons(rng: random.Random, first_year: int, anime: bool, daily: bool) -> tuple[Season, ...]:
    count = 1 if anime else rng.choice((1, 1, 2, 3, 4, 6))
    seasons = []
    day = date(first_year, 9, 1)
    for n in range(0 if rng.random() < 0.3 else 1, count + 1):
        size = (
            rng.randint(2, 6) if n == 0 else (rng.randint(60, 140) if anime else rng.randint(6, 13))
        )
        episodes = []
        for e in range(1, size + 1):
            day += timedelta(days=1 if daily else 7)
            adj, noun = rng.choice(_ADJ), rng.choice(_NOUN)
            episodes.append(
                Episode(e, f"The {adj} {noun}", day.isoformat(), rng.choice((22, 44, 58)))
            )
        seasons.append(Season(n, tuple(episodes)))
    return tuple(seasons)


@lru_cache(maxsize=8)
def build_world(seed: int = 7, movies: int = 1500, shows: int = 200) -> World:
    """The dataset for a seed and size; curated hard cases come first, always."""
    rng = random.Random(seed)
    out_movies: list[Movie] = []
    next_id = 1000
    for title, original, lang, years, alts in CURATED_MOVIES:
        for year in years:
            next_id += rng.randint(1, 40)
            out_movies.append(Movie(
                next_id, title, original or title, lang, _date(rng, year), _popularity(rng),
                tuple(rng.sample(sorted(MOVIE_GENRES), 2)), rng.randint(85, 170),
                f"tt{rng.randrange(10**6, 10**7)}", alts,
            ))  # fmt: skip
    seen = {m.title for m in out_movies}
    while len(out_movies) < movies:
        title = _title(rng)
        if title in seen:
            continue
        seen.add(title)
        release_years = [rng.randint(1950, 2025)]
        if rng.random() < 0.06:  # a remake under the same title
            release_years.append(min(2025, release_years[0] + rng.randint(8, 40)))
        roll = rng.random()
        labelled = roll >= 0.15  # distractors exist on TMDB but on no disk
        for year in release_years:
            next_id += rng.randint(1, 40)
            foreign = rng.random() < 0.08
            released = "" if rng.random() < 0.01 else _date(rng, year)
            out_movies.append(Movie(
                next_id, title, f"{title} ({rng.choice(_NAMES)})" if foreign else title,
                rng.choice(("fr", "de", "es", "it")) if foreign else "en",
                released, _popularity(rng),
                tuple(rng.sample(sorted(MOVIE_GENRES), rng.randint(1, 3))),
                rng.randint(75, 190), f"tt{rng.randrange(10**6, 10**7)}",
                labelled=labelled and bool(released),
            ))  # fmt: skip
        if rng.random() < 0.05:  # a sequel-like near miss
            next_id += 1
            out_movies.append(Movie(
                next_id, f"{title} Returns", f"{title} Returns", "en",
                _date(rng, min(2025, release_years[-1] + 3)), _popularity(rng), (28,), 100,
                f"tt{rng.randrange(10**6, 10**7)}", labelled=False,
            ))  # fmt: skip
    out_shows: list[Show] = []
    show_id = 1
    for name, original, lang, years, anime, daily in CURATED_SHOWS:
        for year in years:
            show_id += rng.randint(1, 30)
            out_shows.append(_show(rng, show_id, name, original or name, lang, year, anime, daily))
    while len(out_shows) < shows:
        name = _title(rng)
        if name in seen:
            continue
        seen.add(name)
        show_id += rng.randint(1, 30)
        out_shows.append(_show(
            rng, show_id, name, name, "en", rng.randint(1960, 2024), rng.random() < 0.05, False,
            labelled=rng.random() >= 0.1,
        ))  # fmt: skip
    # Films on disk that TMDB lacks; distinct even after dropping articles and punctuation,
    # or a file named after one would rightly match a known film.
    known = {normalize_title(t) for t in seen}
    unknown: list[tuple[str, int]] = []
    while len(unknown) < max(20, movies // 20):
        title = _title(rng)
        if normalize_title(title) not in known:
            known.add(normalize_title(title))
            unknown.append((title, rng.randint(1950, 2025)))
    return World(out_movies, out_shows, unknown)


def _show(
    rng: random.Random, show_id: int, name: str, original: str, lang: str, year: int,
    anime: bool, daily: bool, labelled: bool = True,
) -> Show:  # fmt: skip
    seasons = _seasons(rng, year, anime, daily)
    first = next((s.episodes[0].air_date for s in seasons if s.number == 1), f"{year}-09-01")
    return Show(
        show_id, name, original, lang, first, _popularity(rng),
        tuple(rng.sample(sorted(TV_GENRES), 2)), f"tt{rng.randrange(10**6, 10**7)}",
        70000 + show_id, seasons, anime=anime, daily=daily, labelled=labelled,
    )  # fmt: skip
