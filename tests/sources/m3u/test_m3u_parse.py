"""The M3U line parser: the quirks of real playlists, and properties on arbitrary text."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from reel.sources.m3u.parse import M3uEntry, M3uParser, TextDecoder, parse_extinf


def parse(text: str, chunk: int = 0) -> tuple[list[M3uEntry], M3uParser]:
    parser = M3uParser()
    entries: list[M3uEntry] = []
    if chunk:
        for i in range(0, len(text), chunk):
            entries += parser.feed(text[i : i + chunk])
    else:
        entries += parser.feed(text)
    entries += parser.close()
    return entries, parser


def test_extinf_attributes_title_and_duration() -> None:
    duration, attrs, title = parse_extinf(
        '-1 tvg-id="bbc1.uk" tvg-name="BBC One" tvg-logo="http://l/x.png" '
        'group-title="UK, News" tvg-chno="101",BBC One, HD'
    )
    assert duration == -1
    assert attrs == {
        "tvg-id": "bbc1.uk",
        "tvg-name": "BBC One",
        "tvg-logo": "http://l/x.png",
        "group-title": "UK, News",  # commas inside quotes are not the title separator
        "tvg-chno": "101",
    }
    assert title == "BBC One, HD"


def test_unquoted_single_quoted_and_uppercase_attributes() -> None:
    _, attrs, title = parse_extinf("0 tvg-id=abc TVG-CHNO=7 group-title='Kids TV' radio=true,Title")
    assert attrs == {"tvg-id": "abc", "tvg-chno": "7", "group-title": "Kids TV", "radio": "true"}
    assert title == "Title"


def test_quotes_inside_values_and_titles() -> None:
    _, attrs, title = parse_extinf('-1 tvg-name="He said "hi"" group-title="A",He said "hi", ok')
    assert attrs == {"tvg-name": 'He said "hi"', "group-title": "A"}
    assert title == 'He said "hi", ok'


def test_missing_parts_never_fail() -> None:
    assert parse_extinf("") == (None, {}, "")
    assert parse_extinf("-1,") == (-1, {}, "")
    assert parse_extinf(",Only title") == (None, {}, "Only title")
    assert parse_extinf("3600.5 E=mc2") == (3600.5, {"e": "mc2"}, "")
    assert parse_extinf("-1,E=mc2 a documentary") == (-1, {}, "E=mc2 a documentary")


PLAYLIST = (
    '\ufeff#EXTM3U url-tvg="http://epg/a.xml,http://epg/b.xml.gz" tvg-shift="-1"\r\n'
    "\r\n"
    "garbage before anything\r\n"
    '#EXTINF:-1 tvg-id="a" group-title="News;HD",Канал А\r\n'
    "#KODIPROP:inputstream=inputstream.adaptive\r\n"
    "#EXTVLCOPT:http-user-agent=Foo/1.0\r\n"
    "http://host/a.m3u8\r\n"
    "#EXTGRP:Sticky;Second\r\n"
    "#EXTINF:0,B 日本\r\n"
    "http://host/b.ts\r\n"
    "#EXTINF:0,C\r\n"
    "#EXT-X-PLAYLIST-TYPE:VOD\r\n"
    "http://host/c.mkv\r\n"
    '#EXTINF:0 group-title="Own",D\r\n'
    "http://host/d.ts\r\n"
    "#EXTINF:0,E after reset\r\n"
    "http://host/e.ts\r\n"
    "#EXTINF:-1,Lost entry without location\r\n"
    "#EXTINF:-1,F\r\n"
    "rtmp://host/f\r\n"
    "http://bare/url.ts\r\n"
    "#EXTINF:-1,Dangling at the end"
)


def test_a_quirky_playlist() -> None:
    entries, parser = parse(PLAYLIST)
    assert parser.header.seen
    assert parser.header.guide_urls == ["http://epg/a.xml", "http://epg/b.xml.gz"]
    assert [e.title for e in entries] == [
        "Канал А", "B 日本", "C", "D", "E after reset", "F", "",
    ]  # fmt: skip
    a, b, c, d, e, f, bare = entries
    assert a.props == {"inputstream": "inputstream.adaptive", "http-user-agent": "Foo/1.0"}
    assert a.attrs["group-title"] == "News;HD"
    assert b.groups == ["Sticky", "Second"] and not b.props
    assert c.groups == ["Sticky", "Second"] and c.media
    assert d.groups == []  # a group-title resets #EXTGRP (Kodi)
    assert e.groups == []
    assert f.location == "rtmp://host/f"
    assert bare.location == "http://bare/url.ts"
    # the garbage line, the entry that lost its location, the dangling one at the end
    assert parser.garbage == 3


def test_chunk_boundaries_do_not_matter() -> None:
    whole, _ = parse(PLAYLIST)
    for size in (1, 2, 3, 7, 64):
        assert parse(PLAYLIST, size)[0] == whole


def test_decoder_drops_bom_and_replaces_bad_bytes_across_chunks() -> None:
    data = "\ufeff#EXTM3U\n#EXTINF:-1,Ünï\n".encode() + b"\xff\xfe bad\n"
    decoder = TextDecoder()
    text = "".join(decoder.decode(data[i : i + 1]) for i in range(len(data)))
    text += decoder.decode(b"", final=True)
    assert text.startswith("#EXTM3U\n#EXTINF:-1,Ünï\n")
    assert "\ufffd" in text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.integers(1, 50))
def test_never_raises_on_arbitrary_text(text: str, chunk: int) -> None:
    entries, _ = parse(text, chunk)
    for entry in entries:
        assert entry.location and "\n" not in entry.location


_attr_value = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\r\n\x85\u2028\u2029'),
    max_size=15,
)
_title = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\r\n\x85"),
    max_size=30,
).map(str.strip)
_entry = st.fixed_dictionaries(
    {
        "attrs": st.dictionaries(
            st.sampled_from(["tvg-id", "tvg-name", "tvg-logo", "group-title", "tvg-chno"]),
            _attr_value,
        ),
        "title": _title,
        "path": st.text("abcxyz0123456789/._-", min_size=1, max_size=20),
    }
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_entry, max_size=15), st.booleans())
def test_generated_playlists_round_trip(entries: list[dict[str, object]], crlf: bool) -> None:
    newline = "\r\n" if crlf else "\n"
    lines = ["#EXTM3U"]
    for entry in entries:
        attrs = entry["attrs"]
        assert isinstance(attrs, dict)
        text = "".join(f' {k}="{v}"' for k, v in attrs.items())
        lines += [f"#EXTINF:-1{text},{entry['title']}", f"http://h/{entry['path']}"]
    parsed, parser = parse(newline.join(lines) + newline, 17)
    assert parser.garbage == 0
    assert [(p.attrs, p.title, p.location) for p in parsed] == [
        (e["attrs"], e["title"], f"http://h/{e['path']}") for e in entries
    ]


def test_speed_of_a_100k_entry_playlist() -> None:
    line = (
        '#EXTINF:-1 tvg-id="ch{i}.fake" tvg-name="Channel {i}" tvg-logo="http://logos/{i}.png" '
        'group-title="Group {g}" tvg-chno="{i}",Channel {i} HD\nhttp://host:8080/u/p/{i}\n'
    )
    text = "#EXTM3U\n" + "".join(line.format(i=i, g=i % 50) for i in range(100_000))
    started = time.perf_counter()
    entries, _ = parse(text, 256 * 1024)
    elapsed = time.perf_counter() - started
    assert len(entries) == 100_000
    assert entries[-1].attrs["tvg-chno"] == "99999"
    assert elapsed < 5.0, f"parsing 100k entries took {elapsed:.2f}s"
