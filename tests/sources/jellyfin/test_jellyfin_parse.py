"""Property tests for decoding server JSON and mapping it to records."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reel.sources.errors import BadResponse
from reel.sources.jellyfin.client import authorization_header
from reel.sources.jellyfin.parse import (
    BaseItem,
    ItemsResult,
    decode,
    library_kind,
    to_item,
    to_user_data,
)
from reel.testing.fakes.jellyfin import _parse_scheme

hex_id = st.text("0123456789abcdef", min_size=32, max_size=32)
maybe_int = st.none() | st.integers(min_value=-(2**40), max_value=2**62)
dates = st.sampled_from(
    ["2024-05-01T12:34:56.1234567Z", "0001-01-01T00:00:00.0000000Z", "2020-02-29T00:00:00Z"]
)

item_dicts = st.fixed_dictionaries(
    {"Id": hex_id, "Type": st.sampled_from(["Movie", "Series", "Season", "Episode", "Audio"])},
    optional={
        "Name": st.none() | st.text(max_size=30),
        "RunTimeTicks": maybe_int,
        "ProductionYear": st.none() | st.integers(0, 3000),
        "CommunityRating": st.none() | st.floats(0, 10),
        "IndexNumber": st.none() | st.integers(0, 5000),
        "ParentIndexNumber": st.none() | st.integers(0, 100),
        "SeriesId": st.none() | hex_id,
        "SeasonId": st.none() | hex_id,
        "DateCreated": st.none() | dates,
        "Genres": st.none() | st.lists(st.text(max_size=10), max_size=3),
        "ProviderIds": st.none()
        | st.dictionaries(
            st.sampled_from(["Tmdb", "Imdb", "Tvdb", "TMDB", "Zap2It"]),
            st.none() | st.text(max_size=12),
            max_size=4,
        ),
        "ImageTags": st.none()
        | st.dictionaries(
            st.sampled_from(["Primary", "Thumb", "Logo"]), st.none() | st.text(max_size=8)
        ),
        "BackdropImageTags": st.none() | st.lists(st.text(min_size=1, max_size=8), max_size=2),
        "UserData": st.fixed_dictionaries(
            {
                "PlaybackPositionTicks": st.integers(-(2**40), 2**62),
                "PlayCount": st.integers(-5, 10**6),
                "Played": st.booleans(),
            },
            optional={"LastPlayedDate": st.none() | dates},
        ),
        "Unknown": st.integers(),
    },
)


@given(item_dicts)
def test_mapping_is_total_and_faithful(raw: dict[str, Any]) -> None:
    body = msgspec.json.encode({"Items": [raw], "TotalRecordCount": 1})
    dto = decode(body, ItemsResult, "test").items[0]
    record = to_item(dto, "lib")
    if raw["Type"] == "Audio":
        assert record is None and to_user_data(dto) is None
        return
    assert record is not None
    assert record.remote_id == raw["Id"]
    ticks = raw.get("RunTimeTicks")
    assert record.duration_ms == (ticks // 10_000 if ticks and ticks > 0 else None)
    expected_ids: dict[str, str] = {}
    for key, value in (raw.get("ProviderIds") or {}).items():
        name = key.lower()
        # "Tmdb" and "TMDB" both given: Jellyfin's own spelling wins, else the first
        first_or_canonical = name not in expected_ids or key in ("Tmdb", "Imdb", "Tvdb")
        if name in ("tmdb", "imdb", "tvdb") and value and first_or_canonical:
            expected_ids[name] = value
    assert record.ids == expected_ids
    assert set(record.ids) <= {"tmdb", "imdb", "tvdb"}
    if record.type == "episode":
        assert record.parent_remote_id == (raw.get("SeasonId") or raw.get("SeriesId"))
        assert record.episode == raw.get("IndexNumber")
    if record.type in ("movie", "show"):
        assert record.parent_remote_id is None
    if record.added_at is not None:
        assert record.added_at.year > 1
    data = to_user_data(dto)
    if record.type in ("movie", "episode") and "UserData" in raw:
        assert data is not None
        assert data.position_ms >= 0 and data.play_count >= 0
        assert data.played == raw["UserData"]["Played"]
    else:
        assert data is None


@given(st.binary(max_size=200))
def test_garbage_is_a_bad_response(body: bytes) -> None:
    try:
        decode(body, ItemsResult, "listing movies")
    except BadResponse as exc:
        assert "listing movies" in str(exc)


@pytest.mark.parametrize(
    "body", [b"", b"<html>", b'{"Items": [{"Name": "x"}]}', b'{"Items": "no"}', b"[1, 2]"]
)
def test_wrong_shapes_are_bad_responses(body: bytes) -> None:
    with pytest.raises(BadResponse):
        decode(body, ItemsResult, "listing")


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_header_values_survive_the_servers_parser(device_id: str, token: str) -> None:
    parts = _parse_scheme(authorization_header(device_id, token), legacy=False)
    assert parts["DeviceId"] == device_id
    assert parts["Token"] == token
    assert parts["Client"] == "Reel"


def test_library_kinds() -> None:
    assert [library_kind(c) for c in ("movies", "tvshows", "livetv", None, "homevideos")] == [
        "movies",
        "shows",
        "live",
        "mixed",
        "mixed",
    ]
    assert BaseItem(id="x").name is None
