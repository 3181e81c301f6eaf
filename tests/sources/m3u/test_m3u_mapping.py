"""Entries to records: kinds, stable remote ids, credential templates, episodes."""

from __future__ import annotations

import pytest

from reel.sources.m3u.mapping import (
    RecordBuilder,
    classify,
    fill_template,
    fit_key,
    split_episode,
    stream_template,
    xtream_stream,
)
from reel.sources.m3u.parse import M3uEntry, M3uParser
from reel.sources.records import ItemRecord

ACCOUNT = ("john", "s3cr:t")


def entry(location: str, title: str = "T", **attrs: str) -> M3uEntry:
    return M3uEntry(location, title, -1, {k.replace("_", "-"): v for k, v in attrs.items()})


def items(text: str, account: tuple[str, str] | None = None) -> list[ItemRecord]:
    parser = M3uParser()
    builder = RecordBuilder(account)
    out: list[ItemRecord] = []
    for e in parser.feed(text) + parser.close():
        out += builder.build(e).items
    return out


@pytest.mark.parametrize(
    ("e", "kind"),
    [
        (entry("http://h/x.ts", tvg_type="movie"), "movie"),
        (entry("http://h/x.ts", type="series"), "series"),
        (entry("http://h/movie/u/p/12.mkv"), "movie"),
        (entry("http://h/series/u/p/12.mp4"), "series"),
        (entry("http://h/stream/series/12.mp4"), "series"),
        (entry("http://h/x.ts", group_title="VOD | Action"), "movie"),
        (entry("http://h/x.ts", group_title="Movies: Drama"), "movie"),
        (entry("http://h/x.ts", group_title="SERIES - Kids"), "series"),
        (entry("http://h/x.ts", group_title="Movies24 Channels"), "channel"),
        (entry("http://h/x.ts", group_title="Seriesly News"), "channel"),
        (entry("http://h/x.mkv", media="true"), "movie"),
        (entry("http://h/live/u/p/12.ts", tvg_type="live", group_title="VOD"), "channel"),
        (entry("http://h/x.ts", catchup="vod"), "channel"),
    ],
)
def test_classification(e: M3uEntry, kind: str) -> None:
    assert classify(e, xtream_stream(e.location, None)) == kind


def test_xtream_stream_ids() -> None:
    assert xtream_stream("http://h:8080/live/john/pw/123.ts", None) == ("channel", "123")
    assert xtream_stream("http://h:8080/movie/john/pw/9.mkv", None) == ("movie", "9")
    assert xtream_stream("http://h:8080/john/s3cr%3At/77", ACCOUNT) == ("channel", "77")
    assert xtream_stream("http://h:8080/other/user/77", ACCOUNT) is None
    assert xtream_stream("http://h:8080/news/2024/77", None) is None


def test_credentials_become_placeholders_and_come_back() -> None:
    for url in (
        "http://h:8080/live/john/s3cr%3At/123.ts",
        "http://h:8080/john/s3cr%3At/123",
        "http://h/play?username=john&password=s3cr%3At&id=1",
        "http://john:s3cr:t@h/x.ts",
    ):
        stream = stream_template(url, ACCOUNT)
        assert "john" not in stream["url"] and "s3cr" not in stream["url"], url
        assert stream["auth"] == "1"
        assert fill_template(stream, ACCOUNT).replace("s3cr:t", "s3cr%3At") == url.replace(
            "s3cr:t", "s3cr%3At"
        )
    plain = stream_template("http://h/x.ts?token=abc", ACCOUNT)
    assert plain == {"url": "http://h/x.ts?token=abc"}
    assert stream_template("http://h/live/john/s3cr%3At/1.ts", None) == {
        "url": "http://h/live/john/s3cr%3At/1.ts"
    }


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Dark S01E02", ("Dark", 1, 2, None)),
        ("Dark S01 E02", ("Dark", 1, 2, None)),
        ("Dark - S1E2 - Secrets", ("Dark", 1, 2, "Secrets")),
        ("The Office (US) s09e23", ("The Office (US)", 9, 23, None)),
        ("Doctor Who 10x03 Smile", ("Doctor Who", 10, 3, "Smile")),
        ("Пространство S02E10", ("Пространство", 2, 10, None)),
        ("Just a title", ("Just a title", None, None, None)),
        ("S01E01", ("S01E01", None, None, None)),
    ],
)
def test_episode_names(title: str, expected: tuple[object, ...]) -> None:
    assert split_episode(title) == expected


def test_series_entries_make_show_season_episode_once() -> None:
    text = (
        '#EXTINF:-1 group-title="Series | Drama" tvg-logo="http://l/dark.jpg",Dark S01 E01\n'
        "http://h/series/u/p/1.mkv\n"
        '#EXTINF:-1 group-title="Series | Drama",Dark S01 E02 - Lies\n'
        "http://h/series/u/p/2.mkv\n"
        '#EXTINF:-1 group-title="Series | Drama",DARK  S02E01\n'
        "http://h/series/u/p/3.mkv\n"
    )
    out = items(text)
    assert [(i.type, i.title, i.season, i.episode) for i in out] == [
        ("show", "Dark", None, None),
        ("season", "Season 1", 1, None),
        ("episode", "Dark S01 E01", 1, 1),
        ("episode", "Lies", 1, 2),
        ("season", "Season 2", 2, None),
        ("episode", "DARK  S02E01", 2, 1),
    ]
    show, s1, e1, _, s2, e3 = out
    assert show.artwork == {"poster": "http://l/dark.jpg"}
    assert s1.parent_remote_id == show.remote_id == s2.parent_remote_id
    assert e1.parent_remote_id == s1.remote_id and e3.parent_remote_id == s2.remote_id


def test_remote_ids_survive_reorder_rename_and_token_rotation() -> None:
    def playlist(order: list[int], token: str, names: dict[int, str]) -> str:
        rows = {
            1: f'#EXTINF:-1 tvg-id="one",{names.get(1, "One")}\nhttp://h/one.m3u8?t={token}\n',
            2: f"#EXTINF:-1,{names.get(2, 'Two')}\nhttp://h/two.m3u8?t={token}\n",
            3: f"#EXTINF:-1,{names.get(3, 'Three')}\nhttp://h/live/u/{token}/33.ts\n",
        }
        return "".join(rows[i] for i in order)

    before = {i.title: i.remote_id for i in items(playlist([1, 2, 3], "a", {}))}
    after = items(playlist([3, 1, 2], "b", {1: "Uno", 2: "Dos", 3: "Tres"}))
    renamed = {"Uno": "One", "Dos": "Two", "Tres": "Three"}
    assert {renamed[i.title]: i.remote_id for i in after} == before
    assert before["One"] == "tvg:one" and before["Three"] == "xc:33"


def test_duplicates_get_distinct_ids_and_epg_falls_back() -> None:
    text = (
        '#EXTINF:-1 tvg-id="same" tvg-chno="5",A\nhttp://h/a\n'
        '#EXTINF:-1 tvg-id="same" tvg-chno="x",A HD\nhttp://h/b\n'
        '#EXTINF:-1 tvg-name="Named",C\nhttp://h/c\n'
        "#EXTINF:-1,D\nhttp://h/c\n"
    )
    a, b, c, d = items(text)
    assert (a.remote_id, b.remote_id) == ("tvg:same", "tvg:same#2")
    assert c.remote_id != d.remote_id
    assert (a.channel_number, b.channel_number) == (5, None)
    assert (a.epg_id, c.epg_id, d.epg_id) == ("same", "Named", "D")


def test_long_keys_fit_the_columns() -> None:
    key = fit_key("x" * 1000)
    assert len(key) <= 255 and key == fit_key("x" * 1000) != fit_key("x" * 999)
    (item,) = items(f'#EXTINF:-1 tvg-id="{"y" * 600}",Long\nhttp://h/l\n')
    assert len(item.remote_id) <= 255 and item.epg_id is not None and len(item.epg_id) <= 255


def test_libraries_and_categories_are_emitted_once_per_kind() -> None:
    parser = M3uParser()
    builder = RecordBuilder(None)
    text = (
        '#EXTINF:-1 group-title="News",A\nhttp://h/a\n'
        '#EXTINF:-1 group-title="News",B\nhttp://h/b\n'
        '#EXTINF:-1 group-title="VOD | News",M (1999)\nhttp://h/m.mkv\n'
    )
    built = [builder.build(e) for e in parser.feed(text)]
    assert [(lib.remote_id, lib.kind) for b in built for lib in b.libraries] == [
        ("live", "live"),
        ("movies", "movies"),
    ]
    assert [(c.remote_id, c.kind) for b in built for c in b.categories] == [
        ("News", "live"),
        ("VOD | News", "vod"),
    ]
    movie = built[2].items[0]
    assert (movie.type, movie.title, movie.year) == ("movie", "M", 1999)
