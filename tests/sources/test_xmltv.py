"""The streaming XMLTV parser: times, languages, gzip, broken entries and hostile XML."""

from __future__ import annotations

import contextlib
import gzip
import tracemalloc
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reel.sources.errors import BadResponse
from reel.sources.records import ProgrammeRecord
from reel.sources.xmltv import (
    GuideChannel,
    GuideStats,
    inflate,
    iter_guide,
    iter_programmes,
    parse_xmltv_time,
)


async def chunked(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def collect(data: bytes, **kwargs: object) -> list[object]:
    return [r async for r in iter_guide(chunked(data), **kwargs)]  # type: ignore[arg-type]


GUIDE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE tv SYSTEM "xmltv.dtd">
<tv generator-info-name="test">
  <channel id="bbc1.uk">
    <display-name lang="en">BBC One</display-name>
    <display-name>BBC 1</display-name>
    <icon src="http://logos/bbc1.png"/>
    <icon src="http://logos/second.png"/>
  </channel>
  <programme start="20240301200000 +0100" stop="20240301210000 +0100" channel="bbc1.uk">
    <title lang="de">Nachrichten</title>
    <title lang="en">News &amp; Weather</title>
    <desc lang="en">  The   news.  </desc>
  </programme>
  <programme start="202403012000" channel="bbc1.uk"><title>No stop → next start</title></programme>
  <programme start="20240301213000" stop="20240301220000" channel="bbc1.uk">
    <title>Ünïcödé 日本語</title>
  </programme>
</tv>
""".encode()


async def test_channels_and_programmes_in_document_order() -> None:
    records = await collect(GUIDE)
    assert records[0] == GuideChannel("bbc1.uk", ("BBC One", "BBC 1"), "http://logos/bbc1.png")
    programmes = [r for r in records if isinstance(r, ProgrammeRecord)]
    assert [p.title for p in programmes] == [
        "Nachrichten",
        "No stop → next start",
        "Ünïcödé 日本語",
    ]
    first = programmes[0]
    assert first.start == datetime(2024, 3, 1, 19, tzinfo=UTC)
    assert first.stop == datetime(2024, 3, 1, 20, tzinfo=UTC)
    assert first.description == "The news."
    # a programme without stop ends where the channel's next programme starts
    assert programmes[1].start == datetime(2024, 3, 1, 20, tzinfo=UTC)
    assert programmes[1].stop == datetime(2024, 3, 1, 21, 30, tzinfo=UTC)


async def test_preferred_language_wins_else_first() -> None:
    records = await collect(GUIDE, languages=["en"])
    assert next(r.title for r in records if isinstance(r, ProgrammeRecord)) == "News & Weather"
    records = await collect(GUIDE, languages=["fr"])
    assert next(r.title for r in records if isinstance(r, ProgrammeRecord)) == "Nachrichten"


async def test_since_drops_programmes_that_ended_before_it() -> None:
    stats = GuideStats()
    since = datetime(2024, 3, 1, 21, 15, tzinfo=UTC)
    titles = [p.title async for p in iter_programmes(chunked(GUIDE), since=since, stats=stats)]
    assert titles == ["No stop → next start", "Ünïcödé 日本語"]
    assert stats.old == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20240301123456 +0000", datetime(2024, 3, 1, 12, 34, 56, tzinfo=UTC)),
        ("20240301123456 -0130", datetime(2024, 3, 1, 14, 4, 56, tzinfo=UTC)),
        ("20240301123456+02:00", datetime(2024, 3, 1, 10, 34, 56, tzinfo=UTC)),
        ("20240301123456", datetime(2024, 3, 1, 12, 34, 56, tzinfo=UTC)),
        ("202403011234", datetime(2024, 3, 1, 12, 34, tzinfo=UTC)),
        ("200209", datetime(2002, 9, 1, tzinfo=UTC)),
        ("200007281733 BST", datetime(2000, 7, 28, 16, 33, tzinfo=UTC)),
        ("  20240301123456 +0000  ", datetime(2024, 3, 1, 12, 34, 56, tzinfo=UTC)),
        ("20241301000000 +0000", None),  # month 13
        ("20240301123456 XYZ", None),
        ("20240301123456 +9900", None),
        ("not a time", None),
        ("", None),
    ],
)
def test_xmltv_times(text: str, expected: datetime | None) -> None:
    assert parse_xmltv_time(text) == expected


@given(st.text(max_size=40))
def test_time_parser_never_raises(text: str) -> None:
    result = parse_xmltv_time(text)
    assert result is None or result.tzinfo is not None


async def test_broken_programmes_are_skipped_and_counted() -> None:
    p = '<programme start="{}" {} channel="a">{}</programme>'
    doc = "\n".join(
        [
            "<tv>",
            p.format("garbage", 'stop="20240101010000"', "<title>bad start</title>"),
            '<programme start="20240101000000" stop="20240101010000"><title>x</title></programme>',
            p.format("20240101000000", 'stop="20240101010000"', ""),
            p.format("20240101020000", 'stop="20240101010000"', "<title>back</title>"),
            p.format("20240101030000", 'stop="later"', "<title>bad stop</title>"),
            p.format("20240101040000", 'stop="20240101050000"', "<title>ok</title>"),
            p.format("20240101060000", "", "<title>open end</title>"),
            "<channel><display-name>no id</display-name></channel>",
        ]
    ).encode()
    doc += b"</tv>"
    stats = GuideStats()
    titles = [p.title async for p in iter_programmes(chunked(doc), stats=stats)]
    assert titles == ["ok"]
    assert stats.broken == 7
    assert stats.reasons == {
        "bad start time": 1,
        "no channel": 1,
        "no title": 1,
        "stop not after start": 1,
        "bad stop time": 1,
        "no stop and no later programme": 1,
        "channel without id": 1,
    }


async def test_gzip_is_recognised_by_magic_bytes_in_any_chunking() -> None:
    plain = await collect(GUIDE)
    packed = gzip.compress(GUIDE)
    assert [r async for r in iter_guide(chunked(packed, 1))] == plain
    assert [r async for r in iter_guide(chunked(packed, 4096))] == plain
    # several gzip members, as `cat a.gz b.gz` makes
    half = len(GUIDE) // 2
    members = gzip.compress(GUIDE[:half]) + gzip.compress(GUIDE[half:])
    assert [r async for r in iter_guide(chunked(members, 100))] == plain


async def test_truncated_gzip_is_a_bad_response() -> None:
    packed = gzip.compress(GUIDE)[:-20]
    with pytest.raises(BadResponse, match="gzip"):
        await collect(packed)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (GUIDE[: len(GUIDE) // 2], "not well-formed"),
        (b"", "not well-formed"),
        (b"<tv><programme></tv>", "not well-formed"),
        (b"<rss><channel/></rss>", "not XMLTV"),
        (b"<!DOCTYPE html><html><body>502</body></html>", "HTML page"),
    ],
)
async def test_broken_documents_raise_bad_response(doc: bytes, message: str) -> None:
    with pytest.raises(BadResponse, match=message):
        await collect(doc)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE tv [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<tv><programme start="20240101000000" stop="20240101010000" channel="a">
<title>&lol9;</title></programme></tv>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE tv [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<tv><programme start="20240101000000" stop="20240101010000" channel="a">
<title>&xxe;</title></programme></tv>"""

XXE_PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE tv [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<tv/>"""


@pytest.mark.parametrize("doc", [BILLION_LAUGHS, XXE, XXE_PARAMETER])
async def test_entity_attacks_are_refused_without_expansion(doc: bytes) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(BadResponse, match="entities"):
            await collect(doc)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


async def test_inflate_passes_plain_bytes_through() -> None:
    out = b"".join([c async for c in inflate(chunked(b"x" * 1000, 3))])
    assert out == b"x" * 1000


def big_guide(channels: int, per_channel: int) -> bytes:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<tv>\n']
    for c in range(channels):
        parts.append(f'<channel id="c{c}"><display-name>Channel {c}</display-name></channel>\n')
    for c in range(channels):
        for n in range(per_channel):
            t0 = (start + timedelta(minutes=30 * n)).strftime("%Y%m%d%H%M%S +0000")
            t1 = (start + timedelta(minutes=30 * n + 30)).strftime("%Y%m%d%H%M%S +0000")
            parts.append(
                f'<programme start="{t0}" stop="{t1}" channel="c{c}"><title lang="en">Show {n}'
                f'</title><desc lang="en">Description of show {n} on channel {c}.</desc>'
                f'<category lang="en">News</category></programme>\n'
            )
    parts.append("</tv>\n")
    return "".join(parts).encode()


async def test_memory_stays_flat_on_a_large_guide() -> None:
    doc = gzip.compress(big_guide(100, 200))  # 20k programmes, ~4 MB of XML

    async def stream() -> AsyncIterator[bytes]:
        for i in range(0, len(doc), 65536):
            yield doc[i : i + 65536]

    tracemalloc.start()
    count = 0
    try:
        async for _ in iter_programmes(stream()):
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < 8_000_000  # the guide is never held whole


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
async def test_arbitrary_bytes_only_ever_raise_bad_response(data: bytes) -> None:
    with contextlib.suppress(BadResponse):
        await collect(data)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20),
            st.integers(0, 10_000),
            st.integers(1, 600),
        ),
        max_size=20,
    )
)
async def test_generated_guides_round_trip(rows: list[tuple[str, int, int]]) -> None:
    from xml.sax.saxutils import escape

    base = datetime(2024, 1, 1, tzinfo=UTC)
    parts = ["<tv>"]
    expected = []
    for i, (title, offset, length) in enumerate(rows):
        start, stop = base + timedelta(minutes=offset), base + timedelta(minutes=offset + length)
        fmt = "%Y%m%d%H%M%S +0000"
        parts.append(
            f'<programme start="{start.strftime(fmt)}" stop="{stop.strftime(fmt)}" '
            f'channel="c{i}"><title>{escape(title)}</title></programme>'
        )
        if title.split():
            expected.append(ProgrammeRecord(f"c{i}", start, stop, " ".join(title.split())))
    parts.append("</tv>")
    got = [p async for p in iter_programmes(chunked("".join(parts).encode(), 13))]
    assert got == expected
