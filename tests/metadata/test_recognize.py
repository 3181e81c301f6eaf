"""Recognition of real-world names: Kodi layouts, scene names, anime, stacks, editions."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reel.metadata.match import normalize_title
from reel.metadata.recognize import Recognition, recognize
from reel.testing.names import labelled_set
from reel.testing.titles import build_world

CASES: list[tuple[str, dict[str, object]]] = [
    ("Movie (2010)/Movie (2010).mkv", {"kind": "movie", "title": "Movie", "year": 2010}),
    ("Movie.2010.1080p.BluRay.x264-GRP.mkv", {"kind": "movie", "title": "Movie", "year": 2010}),
    ("Amélie (2001)/amelie.mkv", {"kind": "movie", "title": "Amélie", "year": 2001}),
    (
        "Show/Season 01/Show - S01E02 - Title.mkv",
        {
            "kind": "episode",
            "title": "Show",
            "season": 1,
            "episodes": (2,),
            "episode_title": "Title",
        },
    ),
    ("Show/S01E02E03.mkv", {"kind": "episode", "title": "Show", "season": 1, "episodes": (2, 3)}),
    ("Show/Season 1/S01E02-E03.mkv", {"kind": "episode", "season": 1, "episodes": (2, 3)}),
    ("Show/Specials/Show - S00E01.mkv", {"kind": "episode", "season": 0, "episodes": (1,)}),
    ("Show/Specials/01 - Pilot.mkv", {"kind": "episode", "season": 0, "episodes": (1,)}),
    ("Show/Show.2024.03.15.mkv", {"kind": "episode", "title": "Show", "date": date(2024, 3, 15)}),
    ("Show - 2024-03-15 - Guest.mkv", {"kind": "episode", "date": date(2024, 3, 15)}),
    ("Show/Season 2/Show - 2x05.mkv", {"kind": "episode", "season": 2, "episodes": (5,)}),
    (
        "Show - 1x05 - Title.avi",
        {"kind": "episode", "title": "Show", "season": 1, "episodes": (5,)},
    ),
    (
        "Blade Runner (1982)/Blade Runner (1982) - Director's Cut.mkv",
        {"kind": "movie", "title": "Blade Runner", "year": 1982, "edition": "Director's Cut"},
    ),
    (
        "Alien (1979) {edition-Extended}.mkv",
        {"title": "Alien", "year": 1979, "edition": "Extended"},
    ),
    ("Alien.1979.EXTENDED.1080p.mkv", {"title": "Alien", "year": 1979, "edition": "Extended"}),
    ("Alien (1979)/Alien (1979) cd1.avi", {"title": "Alien", "year": 1979, "part": 1}),
    ("Alien (1979)/Alien (1979) - part2.avi", {"title": "Alien", "year": 1979, "part": 2}),
    ("Alien.1979.DVDRip.CD2.avi", {"title": "Alien", "year": 1979, "part": 2}),
    ("Dune.Part.Two.2024.2160p.mkv", {"title": "Dune Part Two", "year": 2024, "part": None}),
    (
        "[SubsPlease] One Piece - 1071 [1080p].mkv",
        {"kind": "episode", "title": "One Piece", "absolute": 1071, "season": None},
    ),
    (
        "One Piece/[Judas] One Piece - 007 [720p][ABCD1234].mkv",
        {"kind": "episode", "title": "One Piece", "absolute": 7, "show_folder": "One Piece"},
    ),
    (
        "Show (2005)/Season 01/S01E01.mkv",
        {"kind": "episode", "title": "Show", "year": 2005, "show_folder": "Show (2005)"},
    ),
    (
        "TV/Doctor Who (2005)/Season 02/02x04.mkv",
        {
            "title": "Doctor Who",
            "year": 2005,
            "season": 2,
            "episodes": (4,),
            "show_folder": "TV/Doctor Who (2005)",
        },
    ),
    ("Show.Name.S02.1080p-GRP/Show.Name.S02E03.1080p-GRP.mkv", {"title": "Show Name", "season": 2}),
    (
        "The Matrix (1999) {tmdb-603}/The Matrix (1999).mkv",
        {"title": "The Matrix", "ids": {"tmdb": "603"}},
    ),
    ("Heat (1995) [imdbid-tt0113277].mkv", {"title": "Heat", "ids": {"imdb": "tt0113277"}}),
    ("3 - 10 to Yuma [1957] [720p].mkv", {"kind": "movie", "year": 1957}),
    ("Se7en (1995).mkv", {"title": "Se7en", "year": 1995}),
]


@pytest.mark.parametrize(("path", "expected"), CASES, ids=[c[0] for c in CASES])
def test_recognises_name_forms(path: str, expected: dict[str, object]) -> None:
    got = recognize(path)
    for key, value in expected.items():
        assert getattr(got, key) == value, (key, got)


def test_hint_shows_reads_bare_numbers_as_episodes() -> None:
    got = recognize("Show/Season 03/05 - The Name.mkv", hint="shows")
    assert (got.kind, got.season, got.episodes) == ("episode", 3, (5,))


def test_windows_separators() -> None:
    got = recognize("Show\\Season 01\\S01E04.mkv")
    assert (got.title, got.season, got.episodes) == ("Show", 1, (4,))


def test_labelled_set_accuracy() -> None:
    """Every field must agree; the report quotes the 2,000-name figure."""
    names = labelled_set(400, world=build_world(7, 300, 40))
    wrong = []
    for n in names:
        r, e = recognize(n.path), n.expected
        day = r.date.isoformat() if r.date else None
        got = (r.kind, normalize_title(r.title), r.year, r.season, r.episodes, r.absolute,
               day, (r.edition or "").lower() or None, r.part)  # fmt: skip
        want = (e.kind, normalize_title(e.title), e.year, e.season, e.episodes, e.absolute,
                e.date, (e.edition or "").lower() or None, e.part)  # fmt: skip
        if got != want:
            wrong.append((n.path, got, want))
    accuracy = 1 - len(wrong) / len(names)
    assert accuracy >= 0.98, wrong[:10]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_never_raises_on_arbitrary_text(path: str) -> None:
    assert isinstance(recognize(path), Recognition)


_segment = st.text(
    alphabet=st.sampled_from(list("abcSExyz0123456789 ._-()[]{}'éø&")), min_size=1, max_size=30
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_segment, min_size=1, max_size=4), st.sampled_from(["mkv", "avi", "mp4", ""]))
def test_never_raises_on_path_like_names(parts: list[str], ext: str) -> None:
    path = "/".join(parts) + (f".{ext}" if ext else "")
    got = recognize(path, hint="mixed")
    assert got.kind in ("movie", "episode")
    assert all(e >= 0 for e in got.episodes)
