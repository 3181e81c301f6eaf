"""NFO reading (hand-written samples, hostile XML) and writing (Kodi structure, ownership)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reel.metadata.nfo import Actor, Nfo, NfoError, Rating, parse_nfo, read_nfo
from reel.metadata.nfo_write import nfo_candidates, render, write_nfo, written_by_reel
from reel.metadata.probe import AudioStream, StreamDetails, SubtitleStream, VideoStream

HAND_MOVIE = """<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<!-- written by me, by hand -->
<movie>
  <title>Léon</title>
  <originaltitle>Léon</originaltitle>
  <ratings><rating name="imdb" max="10" default="true">
    <value>8.5</value><votes>1200000</votes></rating></ratings>
  <year>1994</year>
  <plot>A hitman takes in a girl.</plot>
  <runtime>110 min</runtime>
  <uniqueid type="imdb" default="true">tt0110413</uniqueid>
  <uniqueid type="tmdb">101</uniqueid>
  <genre>Crime</genre><genre>Drama</genre>
  <actor><name>Jean Reno</name><role>Léon</role><order>0</order></actor>
  <actor><name></name></actor>
</movie>
"""

MULTI_EPISODE = """<?xml version="1.0" encoding="UTF-8"?>
<episodedetails><title>Part One</title><season>1</season><episode>2</episode>
  <uniqueid type="tvdb" default="true">111</uniqueid></episodedetails>
<episodedetails><title>Part Two</title><season>1</season><episode>3</episode></episodedetails>
"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<movie><title>&lol3;</title></movie>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE movie [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<movie><title>&xxe;</title></movie>"""


def test_hand_written_movie() -> None:
    [doc] = parse_nfo(HAND_MOVIE.encode(), "movie.nfo")
    assert (doc.kind, doc.title, doc.year, doc.runtime) == ("movie", "Léon", 1994, 110)
    assert doc.ids == {"imdb": "tt0110413", "tmdb": "101"} and doc.default_id == "imdb"
    assert doc.genres == ["Crime", "Drama"]
    assert doc.ratings == [Rating("imdb", 8.5, 1200000, 10, True)]
    assert doc.actors == [Actor("Jean Reno", "Léon", 0)]


def test_multi_episode_nfo_has_several_roots() -> None:
    docs = parse_nfo(MULTI_EPISODE.encode())
    assert [(d.kind, d.season, d.episode, d.title) for d in docs] == [
        ("episodedetails", 1, 2, "Part One"),
        ("episodedetails", 1, 3, "Part Two"),
    ]
    assert docs[0].ids == {"tvdb": "111"}


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("https://www.themoviedb.org/movie/603-the-matrix\n", {"tmdb": "603"}),
        ("http://www.imdb.com/title/tt0133093/", {"imdb": "tt0133093"}),
        ("https://thetvdb.com/?tab=series&id=81189", {"tvdb": "81189"}),
    ],
)
def test_url_only_nfo(text: str, ids: dict[str, str]) -> None:
    [doc] = parse_nfo(text.encode())
    assert doc.kind == "url" and doc.ids == ids


def test_xml_followed_by_url() -> None:
    text = "<tvshow><title>Dark</title></tvshow>\nhttps://www.themoviedb.org/tv/70523"
    [doc] = parse_nfo(text.encode())
    assert (doc.kind, doc.title, doc.ids) == ("tvshow", "Dark", {"tmdb": "70523"})


def test_legacy_id_tags_and_cp1252() -> None:
    data = "<movie><title>Amélie</title><id>tt0211915</id><tmdbid>194</tmdbid></movie>".encode(
        "cp1252"
    )
    [doc] = parse_nfo(data)
    assert doc.title == "Amélie" and doc.ids == {"tmdb": "194", "imdb": "tt0211915"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<movie><title>Broken</movie>", "broken XML"),
        (b"<html><body>nope</body></html>", "not a Kodi NFO root"),
        (b"just some words", "neither XML nor"),
        (BILLION_LAUGHS.encode(), "unsafe XML"),
        (XXE.encode(), "unsafe XML"),
    ],
)
def test_bad_nfo_gives_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(NfoError, match=message):
        parse_nfo(data, "x.nfo")


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NfoError, match="cannot read"):
        read_nfo(tmp_path / "none.nfo")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=300).map(str.encode))
def test_parse_never_raises_anything_but_nfo_error(data: bytes) -> None:
    try:
        docs = parse_nfo(data)
    except NfoError:
        return
    assert docs and all(d.kind in ("movie", "tvshow", "episodedetails", "url") for d in docs)


STREAMS = StreamDetails(
    5400.4, "matroska",
    (VideoStream("hevc", 3840, 2160, 1.778, True),),
    (AudioStream("eac3", 6, "eng"), AudioStream("aac", 2, "fra")),
    (SubtitleStream("subrip", "eng"),),
)  # fmt: skip


def _movie() -> Nfo:
    return Nfo(
        kind="movie", ids={"imdb": "tt0110413", "tmdb": "101"}, title="Léon: The Professional",
        original_title="Léon", year=1994, premiered="1994-09-14", plot="A hitman & a <girl>.",
        runtime=110, genres=["Crime", "Drama"],
        ratings=[Rating("themoviedb", 8.3, 14000, 10, True)],
        actors=[Actor("Jean Reno", "Léon", 0, "http://img/a.jpg")], mpaa="R",
        directors=["Luc Besson"], streams=STREAMS,
    )  # fmt: skip


def test_write_read_round_trip_and_kodi_structure(tmp_path: Path) -> None:
    path = tmp_path / "Leon (1994).nfo"
    assert write_nfo(path, [_movie()]) == "written"
    [back] = read_nfo(path)
    original = _movie()
    assert back.title == original.title and back.ids == original.ids and back.default_id == "tmdb"
    assert (back.year, back.premiered, back.plot, back.runtime) == (
        1994,
        "1994-09-14",
        original.plot,
        110,
    )
    assert back.genres == original.genres and back.ratings == original.ratings
    assert back.actors == original.actors and back.directors == ["Luc Besson"]
    assert back.streams is not None and back.streams.video[0].width == 3840
    assert [a.language for a in back.streams.audio] == ["eng", "fra"]
    assert back.streams.duration_s == 5400
    root = ET.fromstring(path.read_bytes())
    assert root.tag == "movie"
    assert root.find("fileinfo/streamdetails/video/codec").text == "hevc"  # type: ignore[union-attr]
    assert root.find("uniqueid[@default='true']").get("type") == "tmdb"  # type: ignore[union-attr]


def test_episodes_write_as_several_roots(tmp_path: Path) -> None:
    docs = [
        Nfo(kind="episodedetails", title=f"Part {n}", season=1, episode=n, ids={"tmdb": str(n)})
        for n in (2, 3)
    ]
    path = tmp_path / "S01E02E03.nfo"
    write_nfo(path, docs)
    assert [(d.episode, d.title) for d in read_nfo(path)] == [(2, "Part 2"), (3, "Part 3")]


def test_hand_written_nfo_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "movie.nfo"
    path.write_text(HAND_MOVIE, encoding="utf-8")
    assert write_nfo(path, [_movie()]) == "kept-handwritten"
    assert path.read_text(encoding="utf-8") == HAND_MOVIE


def test_reel_file_is_rewritten_until_a_person_edits_it(tmp_path: Path) -> None:
    path = tmp_path / "movie.nfo"
    write_nfo(path, [_movie()])
    assert written_by_reel(path.read_bytes())
    assert write_nfo(path, [_movie()]) == "unchanged"
    changed = _movie()
    changed.plot = "New plot."
    assert write_nfo(path, [changed]) == "written"
    edited = path.read_bytes().replace(b"New plot.", b"My own plot.")
    path.write_bytes(edited)
    assert not written_by_reel(edited)
    assert write_nfo(path, [_movie()]) == "kept-handwritten"
    assert path.read_bytes() == edited
    assert not list(tmp_path.glob(".reel-*"))  # no temporary files left behind


def test_render_escapes_and_is_valid_xml() -> None:
    assert ET.fromstring(render([_movie()])).findtext("plot") == "A hitman & a <girl>."


def test_nfo_candidates() -> None:
    video = Path("/m/Alien (1979)/Alien (1979).mkv")
    assert nfo_candidates(video, "movie") == [
        Path("/m/Alien (1979)/Alien (1979).nfo"), Path("/m/Alien (1979)/movie.nfo"),
    ]  # fmt: skip
