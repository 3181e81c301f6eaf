"""The local adapter on its own: layouts, grouping, NFO values, rescans, offline roots."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reel.metadata.recognize import recognize
from reel.sources.base import ListingContext, SourceConfig
from reel.sources.errors import CannotConnect
from reel.sources.local.adapter import LocalAdapter
from reel.sources.local.build import build
from reel.sources.local.index import RootIndex
from reel.sources.local.state import FileFacts, RootState
from reel.sources.records import ItemRecord
from tests.local.conftest import touch


def adapter(*roots: Path, kind: str = "mixed") -> LocalAdapter:
    return LocalAdapter(SourceConfig("nas", "local", {"paths": [str(r) for r in roots],
                                                      "library_kind": kind}))  # fmt: skip


async def listing(a: LocalAdapter, ctx: ListingContext) -> list[ItemRecord]:
    return [item async for page in a.listing(ctx) for item in page.items]


def by_type(items: list[ItemRecord], kind: str) -> list[ItemRecord]:
    return sorted((i for i in items if i.type == kind), key=lambda i: (i.title, i.remote_id))


async def test_kodi_layouts_group_into_films_and_shows(media: Path) -> None:
    for rel in [
        "Alien (1979)/Alien (1979).mkv",
        "Heat (1995)/Heat (1995) - cd1.avi",
        "Heat (1995)/Heat (1995) - cd2.avi",
        "Dune (2021)/Dune (2021).mkv",
        "Dune (2021)/Dune (2021) - Extended.mkv",
        "The Office (2005)/Season 01/The Office (2005) - S01E01 - Pilot.mkv",
        "The Office (2005)/Season 1/The Office (2005) - S01E02E03.mkv",
        "The Office (2005)/Specials/The Office (2005) - S00E01.mkv",
        "The Daily Show/The.Daily.Show.2021.03.04.720p.WEB.mkv",
        "One Piece/[SubsPlease] One Piece - 101 [1080p].mkv",
        "Dark/Season 2/Dark - 2x05 - Lost and Found.mp4",
    ]:
        touch(media, rel)
    ctx = ListingContext()
    items = await listing(adapter(media), ctx)
    movies = by_type(items, "movie")
    assert [m.title for m in movies] == ["Alien", "Dune", "Heat"]
    heat = movies[2]
    assert [Path(p).name for p in heat.extra["parts"]] == ["Heat (1995) - cd1.avi",
                                                           "Heat (1995) - cd2.avi"]  # fmt: skip
    dune = movies[1]
    assert dune.stream["path"].endswith("Dune (2021).mkv")  # the plain cut plays first
    assert {v["edition"] for v in dune.extra["versions"]} == {None, "Extended"}
    shows = {s.title: s for s in by_type(items, "show")}
    assert set(shows) == {"The Office", "The Daily Show", "One Piece", "Dark"}
    office = shows["The Office"]
    seasons = [s for s in items if s.type == "season" and s.parent_remote_id == office.remote_id]
    assert sorted(s.season for s in seasons) == [0, 1]  # `Season 01` and `Season 1` are one
    eps = [e for e in items if e.type == "episode" and e.stream["path"].count("Office")]
    assert sorted((e.season, e.episode) for e in eps) == [(0, 1), (1, 1), (1, 2), (1, 3)]
    multi = [e for e in eps if e.extra.get("multi")]
    assert len(multi) == 2 and multi[0].stream == multi[1].stream
    assert len({e.remote_id for e in multi}) == 2
    daily = next(e for e in items if e.type == "episode" and "Daily" in e.stream["path"])
    assert daily.extra["aired"] == "2021-03-04" and daily.season == 2021
    anime = next(e for e in items if e.type == "episode" and "Piece" in e.stream["path"])
    assert anime.extra["absolute"] == 101 and anime.episode == 101
    dark = next(e for e in items if e.type == "episode" and "Dark" in e.stream["path"])
    assert (dark.season, dark.episode, dark.title) == (2, 5, "Lost and Found")
    for item in items:
        if item.type in ("movie", "episode"):
            assert item.extra["status"] == "unidentified" and item.extra["path"]
            assert Path(item.extra["path"]).is_relative_to(media)
    assert ctx.complete_types >= {"movie", "show", "season", "episode"}


async def test_nfo_values_win_and_reel_written_nfos_are_ignored(media: Path) -> None:
    touch(media, "Blade Runner (1982)/Blade Runner (1982).mkv")
    touch(
        media,
        "Blade Runner (1982)/movie.nfo",
        b"""<?xml version="1.0"?>
<movie><title>Blade Runner (Final Cut)</title><year>1982</year><plot>Rain.</plot>
<genre>Science Fiction</genre><uniqueid type="tmdb" default="true">78</uniqueid>
<uniqueid type="imdb">tt0083658</uniqueid><runtime>117</runtime></movie>""",
    )
    touch(media, "Show/tvshow.nfo", b"https://www.themoviedb.org/tv/1399-show")
    touch(media, "Show/Season 01/Show - S01E01.mkv")
    items = await listing(adapter(media), ListingContext())
    movie = by_type(items, "movie")[0]
    assert movie.title == "Blade Runner (Final Cut)" and movie.overview == "Rain."
    assert movie.ids == {"tmdb": "78", "imdb": "tt0083658"}
    assert movie.duration_ms == 117 * 60_000 and movie.genres == ["Science Fiction"]
    assert set(movie.extra["nfo_fields"]) >= {"title", "overview", "tmdb_id", "genres"}
    assert movie.extra["match"]["ids"]["tmdb"] == "78"
    show = by_type(items, "show")[0]
    assert show.ids == {"tmdb": "1399"} and show.extra["nfo_fields"] == ["tmdb_id"]


async def test_rescan_parses_only_what_changed_and_renames_keep_ids(media: Path) -> None:
    names = [f"Film {n} ({1990 + n})/Film {n} ({1990 + n}).mkv" for n in range(20)]
    for rel in names:
        touch(media, rel)
    a = adapter(media)
    ctx = ListingContext()
    first = {i.stream["path"]: i.remote_id for i in await listing(a, ctx)}
    assert a.report.parsed == 20
    again = ListingContext(state=ctx.state)
    await listing(a, again)
    assert (a.report.parsed, a.report.reused) == (0, 20)
    old = media / names[3]
    new = media / "Renamed" / "Film 3 (1993).mkv"
    new.parent.mkdir()
    old.rename(new)
    third = ListingContext(state=again.state)
    after = {i.stream["path"]: i.remote_id for i in await listing(a, third)}
    assert a.report.parsed == 1
    assert after[str(new)] == first[str(old)]


async def test_adding_a_part_keeps_the_film_id(media: Path) -> None:
    touch(media, "Heat (1995)/Heat (1995) - part2.avi")
    a = adapter(media)
    ctx = ListingContext()
    (before,) = await listing(a, ctx)
    touch(media, "Heat (1995)/Heat (1995) - part1.avi")
    ctx2 = ListingContext(state=ctx.state)
    (after,) = await listing(a, ctx2)
    assert after.remote_id == before.remote_id and len(after.extra["parts"]) == 2


async def test_vanished_root_raises_cannot_connect_and_keeps_state(tmp_path: Path) -> None:
    root = tmp_path / "nas"
    touch(root, "Alien (1979).mkv")
    a = adapter(root)
    ctx = ListingContext()
    await listing(a, ctx)
    saved = dict(ctx.state)
    (root / "Alien (1979).mkv").unlink()
    root.rmdir()
    ctx2 = ListingContext(state=dict(saved))
    with pytest.raises(CannotConnect, match=f"library folder {root} is not reachable"):
        await listing(a, ctx2)
    assert not ctx2.complete_types and ctx2.state == saved
    result = await a.test()
    assert not result.reachable and str(root) in result.message


async def test_stream_url_stays_under_the_roots(media: Path, tmp_path: Path) -> None:
    path = touch(media, "Alien (1979).mkv")
    a = adapter(media)
    assert a.stream_url("x", "movie", {"path": str(path)}).startswith("file://")
    with pytest.raises(Exception, match="not under a library folder"):
        a.stream_url("x", "movie", {"path": str(media / ".." / "secret.mkv")})


_segment = st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
                   min_size=1, max_size=40).filter(lambda s: s not in (".", ".."))  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_segment, min_size=1, max_size=4), min_size=1, max_size=6))
def test_any_names_build_records_with_unique_ids(paths: list[list[str]]) -> None:
    files = {}
    for n, parts in enumerate(paths):
        rel = "/".join(parts) + ".mkv"
        files[f"f{n}"] = FileFacts(rel, 10, 1, recognize(rel))
    built = build({"/r": RootState(RootIndex("/r"), files)}, "mixed")
    keys = [(i.type, i.remote_id) for i in built.items]
    assert len(keys) == len(set(keys))
    ids = {i.remote_id for i in built.items}
    for item in built.items:
        assert item.title
        assert item.parent_remote_id is None or item.parent_remote_id in ids
