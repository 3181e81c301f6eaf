"""Our Plex parsing against real captured server answers, JSON shapes, and hostile input."""

from __future__ import annotations

import contextlib
from pathlib import Path

import msgspec
import pytest
from defusedxml import ElementTree
from hypothesis import given, settings
from hypothesis import strategies as st

from reel.sources.errors import BadResponse
from reel.sources.plex import parse, parse_xml

# the shared reference data sits beside the checkout: <work>/shared/reference
CAPTURES = Path(__file__).resolve().parents[4] / "shared" / "reference" / "plex" / "captures"
pytestmark = pytest.mark.skipif(not CAPTURES.is_dir(), reason="reference captures missing")


def capture(file: str, **placeholders: str) -> str:
    text = (CAPTURES / file).read_text()
    for key, value in placeholders.items():
        text = text.replace("{" + key + "}", value)
    return text


def test_sections_capture_keeps_movies_and_shows_and_skips_music() -> None:
    sections = parse_xml.sections(capture("library_sections.xml")).directories
    assert [(s.key, s.type) for s in sections] == [("1", "movie"), ("2", "show"), ("3", "artist")]
    libraries = [parse.to_library(s) for s in sections]
    assert [(lib.remote_id, lib.kind) if lib else None for lib in libraries] == [
        ("1", "movies"),
        ("2", "shows"),
        None,
    ]


def test_movies_capture_becomes_item_records() -> None:
    container = parse_xml.items(capture("library_movies_all.xml"))
    items = [parse.to_item(md, "1") for md in container.metadata]
    assert len(items) == 5 and all(items)
    first = items[0]
    assert first is not None
    assert (first.remote_id, first.type, first.title, first.year) == ("1", "movie", "Movie 1", 2000)
    assert first.ids == {"imdb": "tt0123456"}  # legacy imdb agent guid
    assert first.genres == ["Sci-Fi", "Action"]
    assert first.rating == 9.5  # audienceRating preferred
    assert first.duration_ms == 9_000_000
    assert first.added_at is not None and first.added_at.timestamp() == 1377829261
    assert first.artwork == {
        "poster": "/library/metadata/1/thumb/1590245989",
        "fanart": "/library/metadata/1/art/1590245989",
    }
    played = parse.to_user_data(container.metadata[0])
    assert played is not None and played.played and played.play_count == 1


def test_episode_capture_links_season_and_show_and_keeps_part_key() -> None:
    container = parse_xml.items(capture("children_20.xml"))
    episodes = [parse.to_item(md, None) for md in container.metadata]
    assert len(episodes) == 10
    ep = episodes[0]
    assert ep is not None
    assert (ep.type, ep.parent_remote_id, ep.season, ep.episode) == ("episode", "20", 1, 1)
    assert ep.extra["show_remote_id"] == "30"
    assert ep.library_remote_id == "2"  # from librarySectionID when no section is given
    assert ep.stream["part_key"] == "/library/parts/4631/1215643935/file.mkv"
    assert ep.stream["container"] == "mkv"
    # thetvdb legacy guids of episodes carry the show id + numbers: not an episode id
    assert "tvdb" not in ep.ids


def _trimmed(xml: str) -> str:
    """What a server that honours a listing's `includeFields` and `excludeElements` sends:
    only the named attributes, on items and (the strictest reading) their children too."""
    root = ElementTree.fromstring(xml)
    keep, unused = set(parse.LISTING_FIELDS.split(",")), set(parse.UNUSED_ELEMENTS.split(","))
    for item in root:
        for parent in item.iter():
            for child in [c for c in parent if c.tag in unused]:
                parent.remove(child)
            for name in [a for a in parent.attrib if a not in keep]:
                del parent.attrib[name]
    return ElementTree.tostring(root, encoding="unicode")


@pytest.mark.parametrize(
    "file", ["library_movies_all.xml", "children_20.xml", "grandchildren_300.xml", "media_1.xml"]
)
def test_trimmed_listing_gives_the_same_records(file: str) -> None:
    """The listing's field list names everything the records are built from: a real
    capture, trimmed to it, converts to the same records and watch state."""
    whole = parse_xml.items(capture(file)).metadata
    trimmed = parse_xml.items(_trimmed(capture(file))).metadata
    assert [parse.to_item(md, "1") for md in trimmed] == [parse.to_item(md, "1") for md in whole]
    assert [parse.to_user_data(md) for md in trimmed] == [parse.to_user_data(md) for md in whole]
    assert len(_trimmed(capture(file))) < len(capture(file))


def test_media_capture_resume_point() -> None:
    md = parse_xml.items(capture("media_1.xml")).metadata[0]
    data = parse.to_user_data(md)
    assert data is not None and data.position_ms == 555 and data.played


def test_show_capture_and_size_probe() -> None:
    show = parse.to_item(parse_xml.items(capture("library_tvshows_all.xml")).metadata[0], "2")
    assert show is not None and show.type == "show" and show.ids == {"tvdb": "12345"}
    assert show.stream == {}
    probe = parse_xml.items(capture("library_movies_size.xml"))
    assert (probe.size, probe.total_size, probe.metadata) == (0, 1, [])
    episodes = parse_xml.items(capture("library_tvshows_size_episodes.xml"))
    assert episodes.total_size == 10


def test_music_tracks_are_not_items() -> None:
    container = parse_xml.items(capture("grandchildren_300.xml"))
    assert container.metadata and all(parse.to_item(md, "3") is None for md in container.metadata)


def test_server_root_capture() -> None:
    root = parse_xml.server_root(
        capture("plex_server_base.xml", name="Den", machine_identifier="abc")
    )
    assert (root.friendly_name, root.machine_identifier) == ("Den", "abc")
    assert root.version == "1.20.4.3517-ab5e1197c"


@pytest.mark.parametrize(
    ("name", "servers"),
    [("plextv_resources_one_server.xml", 1), ("plextv_resources_two_servers.xml", 2)],
)
def test_resources_captures(name: str, servers: int) -> None:
    devices = parse_xml.resources(capture(name))
    found = [d for d in devices if "server" in d.provides.split(",")]
    assert len(found) == servers
    assert found[0].access_token == "faketoken" and found[0].owned
    assert found[0].connections[0].local and found[0].connections[0].uri.startswith("https://")


def test_resources_base_capture_with_placeholders() -> None:
    text = capture("plextv_resources_base.xml", first_server_enabled="1", second_server_enabled="0")
    devices = parse_xml.resources(text)
    assert sum("server" in d.provides for d in devices) == 2


def test_json_listing_with_new_agent_guids() -> None:
    body = msgspec.json.encode(
        {
            "MediaContainer": {
                "size": 1,
                "totalSize": 9,
                "offset": 3,
                "Metadata": [
                    {
                        "ratingKey": "44",
                        "type": "movie",
                        "title": "Film",
                        "year": 1999,
                        "addedAt": 1600000000,
                        "viewOffset": 1200,
                        "lastViewedAt": 1700000000,
                        "Guid": [{"id": "imdb://tt1"}, {"id": "tmdb://2"}, {"id": "tvdb://3"}],
                        "Media": [
                            {"container": "mp4", "Part": [{"key": "/library/parts/9/1/f.mp4"}]}
                        ],
                    }
                ],
            }
        }
    )
    container = parse.decode(body, parse.ItemContainer, "a test listing")
    assert (container.total_size, container.offset) == (9, 3)
    item = parse.to_item(container.metadata[0], "1")
    assert item is not None
    assert item.ids == {"imdb": "tt1", "tmdb": "2", "tvdb": "3"}
    assert item.stream == {"part_key": "/library/parts/9/1/f.mp4", "container": "mp4"}
    data = parse.to_user_data(container.metadata[0])
    assert data is not None and not data.played and data.position_ms == 1200


@pytest.mark.parametrize(
    "body", [b"", b"<html><body>oops</body></html>", b'{"MediaContainer": 3}', b'{"x": 1}', b"[1"]
)
def test_bad_json_is_bad_response(body: bytes) -> None:
    with pytest.raises(BadResponse):
        parse.decode(body, parse.ItemContainer, "a listing")


def test_xml_entities_are_refused() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]><MediaContainer t="&a;"/>'
    with pytest.raises(BadResponse):
        parse_xml.items(bomb)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_decode_never_raises_other_errors(body: bytes) -> None:
    with contextlib.suppress(BadResponse):
        parse.decode(body, parse.ItemContainer, "fuzz")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_xml_never_raises_other_errors(text: str) -> None:
    for fn in (parse_xml.items, parse_xml.sections, parse_xml.resources):
        with contextlib.suppress(BadResponse):
            fn(text)


_scalar = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.floats(), st.text(max_size=8))
_metadata = st.fixed_dictionaries(
    {"ratingKey": st.one_of(st.text(min_size=1, max_size=6), st.integers(0, 10**9))},
    optional={
        "type": st.sampled_from(["movie", "show", "season", "episode", "track", ""]),
        "title": st.text(max_size=10),
        "year": _scalar,
        "duration": _scalar,
        "addedAt": _scalar,
        "updatedAt": _scalar,
        "lastViewedAt": _scalar,
        "viewCount": _scalar,
        "viewOffset": _scalar,
        "rating": _scalar,
        "index": _scalar,
        "parentRatingKey": _scalar,
        "guid": st.text(max_size=40),
        "Guid": st.lists(st.fixed_dictionaries({"id": st.text(max_size=20)}), max_size=3),
        "Genre": st.lists(st.fixed_dictionaries({"tag": st.text(max_size=8)}), max_size=3),
    },
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_metadata, max_size=4))
def test_any_metadata_gives_records_or_bad_response(metadata: list[dict[str, object]]) -> None:
    body = msgspec.json.encode({"MediaContainer": {"size": len(metadata), "Metadata": metadata}})
    try:
        container = parse.decode(body, parse.ItemContainer, "fuzz")
    except BadResponse:
        return
    for md in container.metadata:
        item = parse.to_item(md, "1")
        if item is not None:
            assert item.remote_id == str(md.rating_key)
            assert all(v and "://" not in v for v in item.ids.values())
        parse.to_user_data(md)


@given(st.text(max_size=60))
def test_external_ids_from_any_guid(text: str) -> None:
    md = parse.Metadata(rating_key="1", guid=text, guids=[parse.GuidRef(id=text)])
    ids = parse.external_ids(md)
    assert set(ids) <= {"imdb", "tmdb", "tvdb"}
    assert all(value for value in ids.values())


_json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(_json_value)
def test_plex_tv_answers_decode_or_bad_response(value: object) -> None:
    body = msgspec.json.encode(value)
    for kind in (list[parse.Device], parse.Pin):
        with contextlib.suppress(BadResponse):
            parse.decode_json(body, kind, "fuzz")
