"""Decoding what panels send: quirks by example, and random payloads by hypothesis."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reel.sources.errors import BadResponse, InvalidAuth
from reel.sources.xtream import details, items, parse


def decode(payload: object, type_: Any = parse.VodStream) -> Any:
    return parse.decode_list(json.dumps(payload).encode(), type_, "get_vod_streams", "panel")


def test_vod_quirks_normalise() -> None:
    entries = decode(
        [
            {
                "stream_id": "7",
                "name": "DE - Heat (1995)",
                "rating": "",
                "added": "1685137691",
                "category_id": None,
                "category_ids": [12, 13],
                "container_extension": "mkv",
            },
            {"stream_id": 7, "name": "Heat again (duplicate id)"},
            {"stream_id": 8.0, "name": "", "rating": 7, "tmdb": "949", "added": 0},
            {
                "stream_id": 9,
                "name": "36 China Town | 2006 | 5.7",
                "rating": "5.791",
                "category_id": "12",
                "genre": "Komödie, Thriller",
            },
            {"stream_id": None, "name": "no id"},
        ]
    )
    unique = items.dedupe(entries, "stream_id")
    records = [items.movie(e, {"12", "13"}) for e in unique]
    assert [r.remote_id for r in records] == ["7", "8", "9"]
    heat, nameless, china = records
    assert (heat.title, heat.year, heat.rating, heat.category_remote_id) == (
        "Heat",
        1995,
        None,
        "12",
    )
    assert heat.added_at == datetime(2023, 5, 26, 21, 48, 11, tzinfo=UTC)
    assert heat.stream == {"ext": "mkv"} and heat.extra == {"name": "DE - Heat (1995)"}
    assert (nameless.title, nameless.rating, nameless.ids, nameless.added_at) == (
        "Movie 8",
        7.0,
        {"tmdb": "949"},
        None,
    )
    assert (china.title, china.year, china.rating, china.genres) == (
        "36 China Town",
        2006,
        5.791,
        ["Komödie", "Thriller"],
    )


def test_live_and_series_quirks() -> None:
    live = decode(
        [
            {
                "num": "3",
                "name": "▃ ▅ DE HEVC ▅ ▃",
                "stream_id": "81568",
                "epg_channel_id": None,
                "category_id": "",
                "tv_archive": 1,
                "tv_archive_duration": "3",
                "stream_type": "radio_streams",
            }
        ],
        parse.LiveStream,
    )
    channel = items.channel(live[0], {"129"})
    assert (
        channel.remote_id,
        channel.channel_number,
        channel.epg_id,
        channel.category_remote_id,
    ) == ("81568", 3, None, None)
    assert channel.extra == {"tv_archive": 1, "tv_archive_duration": 3, "radio": True}
    series = decode(
        [
            {
                "series_id": 1899,
                "name": "1899",
                "releaseDate": "2022-11-17",
                "last_modified": "1685447913",
                "rating": None,
                "backdrop_path": ["https://img/b.jpg"],
                "cover": "https://img/c.jpg",
                "category_id": 179,
            }
        ],
        parse.Series,
    )
    show = items.show(series[0], {"179"})
    assert (show.title, show.year, show.category_remote_id) == ("1899", 2022, "179")
    assert show.artwork == {"poster": "https://img/c.jpg", "backdrop": "https://img/b.jpg"}
    assert show.extra["last_modified"] == "1685447913"


def test_listing_shapes() -> None:
    keyed = {"0": {"stream_id": 1, "name": "a"}, "5": {"stream_id": 2, "name": "b"}}
    assert [e.stream_id for e in decode(keyed)] == [1, 2]
    assert decode([]) == [] and decode({}) == []
    assert decode(None) is None
    # one entry nothing can be made of is skipped, the rest survive
    assert [
        e.stream_id
        for e in decode(
            [{"stream_id": {"x": 1}}, {"stream_id": 3, "name": ["odd"]}, {"stream_id": 4}]
        )
    ] == [4]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html><body>502</body></html>", "malformed JSON for get_vod_streams"),
        (b'[{"stream_id": 1, "name": "cut', "malformed JSON for get_vod_streams"),
        (b'"nope"', "unexpected JSON for get_vod_streams"),
        (b'{"user_info": {"auth": 1}}', "account info instead of a listing"),
    ],
)
def test_bad_listing_bodies(body: bytes, message: str) -> None:
    with pytest.raises(BadResponse, match=message):
        parse.decode_list(body, parse.VodStream, "get_vod_streams", "panel")


def test_auth_zero_anywhere_is_invalid_auth() -> None:
    with pytest.raises(InvalidAuth, match=r"^bad credentials for source panel$"):
        parse.decode_list(b'{"user_info":{"auth":0}}', parse.VodStream, "get_vod_streams", "panel")
    with pytest.raises(InvalidAuth):
        parse.decode_account(b'{"user_info":{"auth":"0"}}', "panel")
    user, server = parse.decode_account(
        b'{"user_info":{"auth":1,"status":"Active","exp_date":null,"allowed_output_formats":["m3u8"]},'
        b'"server_info":{"timezone":"Europe\\/London"}}',
        "panel",
    )
    assert user.exp_date is None and server.timezone == "Europe/London"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Heat (1995)", ("Heat", 1995)),
        ("EN: Heat [1995]", ("Heat", 1995)),
        ("|FR| Amélie (2001)", ("Amélie", 2001)),
        ("2001: A Space Odyssey", ("2001: A Space Odyssey", None)),
        ("(2010)", ("(2010)", None)),
        ("M - Eine Stadt sucht einen Mörder (1931)", ("M - Eine Stadt sucht einen Mörder", 1931)),
    ],
)
def test_split_year(name: str, expected: tuple[str, int | None]) -> None:
    assert items.split_year(name) == expected


def _episode(eid: str, season: Any = None, num: Any = 1, info: Any = None) -> dict[str, Any]:
    ep: dict[str, Any] = {
        "id": eid,
        "episode_num": num,
        "title": f"E{eid}",
        "container_extension": "mp4",
        "info": {} if info is None else info,
    }
    if season is not None:
        ep["season"] = season
    return ep


@pytest.mark.parametrize(
    "episodes",
    [
        {"1": [_episode("10", 1, "1"), _episode("11", 1, 2)], "2": [_episode("20", None, 1, [])]},
        [[_episode("10", None, 1), _episode("11", None, 2)], [_episode("20", None, 1)]],
        [
            _episode("10", "1", 1),
            _episode("11", 1, 2),
            _episode("20", "2", 1),
            _episode("20", "2", 1),
        ],
    ],
)
def test_series_episode_layouts(episodes: Any) -> None:
    data = {
        "seasons": [{"season_number": 1, "name": "Staffel 1", "cover": "c1"}],
        "info": {"last_modified": "1685447913"},
        "episodes": episodes,
    }
    page, stamp = details.series_page("1899", data)
    seasons = [i for i in page.items if i.type == "season"]
    episodes_out = [i for i in page.items if i.type == "episode"]
    assert stamp == "1685447913"
    assert [(s.remote_id, s.title, s.season) for s in seasons] == [
        ("1899:s1", "Staffel 1", 1),
        ("1899:s2", "Season 2", 2),
    ]
    assert [(e.remote_id, e.parent_remote_id, e.season, e.episode) for e in episodes_out] == [
        ("10", "1899:s1", 1, 1),
        ("11", "1899:s1", 1, 2),
        ("20", "1899:s2", 2, 1),
    ]


def test_unknown_series_and_vod() -> None:
    assert details.series_page("1", []) == (details.ListingPage(), None)
    assert details.series_page("1", {"seasons": [], "info": [], "episodes": []})[0].items == []
    assert details.vod_record("5", {"info": []}) is None


def test_short_epg_decodes_base64_and_local_times() -> None:
    b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    data = {
        "epg_listings": [
            {
                "title": b64("Tagesschau"),
                "description": b64("Nachrichten & Wetter"),
                "channel_id": "ard.de",
                "start": "2025-12-17 20:00:00",
                "end": "2025-12-17 20:15:00",
            },
            {
                "title": "plain text!",
                "start_timestamp": "1765998000",
                "stop_timestamp": "1765998900",
            },
            {"title": b64("backwards"), "start_timestamp": "10", "stop_timestamp": "5"},
        ]
    }
    first, second = details.short_epg(data, "42", "Europe/Istanbul")
    assert (first.channel_key, first.title, first.description) == (
        "ard.de",
        "Tagesschau",
        "Nachrichten & Wetter",
    )
    assert first.start == datetime(2025, 12, 17, 17, 0, tzinfo=UTC)  # Istanbul is UTC+3
    assert (second.channel_key, second.title) == ("42", "plain text!")


# ---- property tests: whatever a panel sends, only BadResponse/InvalidAuth come out -------
FIELDS = [
    "stream_id",
    "series_id",
    "num",
    "name",
    "title",
    "year",
    "rating",
    "added",
    "category_id",
    "category_ids",
    "container_extension",
    "tmdb",
    "last_modified",
    "backdrop_path",
    "cover",
    "epg_channel_id",
    "tv_archive",
    "tv_archive_duration",
    "releaseDate",
    "user_info",
    "auth",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["", "0", "1685447913", "7.5", "(2010)"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4)
    ),
    max_leaves=8,
)
entry = st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)
payload = (
    st.lists(entry, max_size=6) | st.dictionaries(st.text(max_size=3), entry, max_size=4) | values
)


@settings(max_examples=150, deadline=None)
@given(payload)
def test_random_listings_never_raise_anything_else(data: Any) -> None:
    body = json.dumps(data).encode()
    for type_, key, convert in (
        (parse.LiveStream, "stream_id", items.channel),
        (parse.VodStream, "stream_id", items.movie),
        (parse.Series, "series_id", items.show),
    ):
        try:
            decoded = parse.decode_list(body, type_, "get_x", "panel")
        except (BadResponse, InvalidAuth):
            continue
        for record in (convert(e, {"1"}) for e in items.dedupe(decoded or [], key)):
            assert record.remote_id and record.title


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64) | st.text(max_size=64).map(str.encode))
def test_random_bytes_are_bad_responses(body: bytes) -> None:
    try:
        parse.decode_list(body, parse.VodStream, "get_x", "panel")
        parse.decode_account(body, "panel")
    except (BadResponse, InvalidAuth):
        pass


@settings(max_examples=200, deadline=None)
@given(values, st.sampled_from(["Europe/Istanbul", "Not/AZone", ""]))
def test_random_series_vod_and_epg_answers(data: Any, zone: str) -> None:
    for shaped in (
        data,
        {"seasons": data, "info": data, "episodes": data},
        {"epg_listings": data},
        {"info": data, "movie_data": data},
    ):
        details.series_page("1", shaped)
        details.vod_record("1", shaped)
        details.short_epg(shaped, "1", zone)
