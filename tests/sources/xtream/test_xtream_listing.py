"""split_listing: raw entries matched by digest, the rest decoded; first occurrence wins."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reel.sources.errors import BadResponse
from reel.sources.xtream import listing, parse
from reel.sources.xtream.items import dedupe

KEY = listing.digest_key("movie", {"1", "2"})

SAFE = st.characters(blacklist_categories=("Cs",))  # JSON cannot carry lone surrogates
ids = st.one_of(
    st.integers(0, 30),
    st.integers(0, 30).map(str),
    st.integers(0, 30).map(lambda n: f" 0{n}"),
    st.none(),
)
entries = st.lists(
    st.fixed_dictionaries(
        {"stream_id": ids},
        optional={
            "name": st.text(SAFE, max_size=8),
            "rating": st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.text(SAFE)),
        },
    ),
    max_size=25,
)


def split(body: bytes, known: dict[str, str] | None = None) -> listing.Split[parse.VodStream]:
    return listing.split_listing(
        body, parse.VodStream, "stream_id", key=KEY, known=known or {}, what="x", source="s"
    )


@given(entries)
def test_fresh_split_equals_whole_decode(values: list[dict[str, object]]) -> None:
    body = json.dumps(values).encode()
    expected = dedupe(parse.decode_list(body, parse.VodStream, "x", "s") or [], "stream_id")
    got = split(body)
    assert [e for e, _ in got.entries] == expected
    assert got.unchanged == []


@given(entries, st.data())
def test_known_digests_become_ids_in_order(
    values: list[dict[str, object]], data: st.DataObject
) -> None:
    body = json.dumps(values).encode()
    fresh = split(body)
    chosen = (
        data.draw(st.sets(st.sampled_from(range(len(fresh.entries))))) if fresh.entries else set()
    )
    known = {}
    for n in chosen:
        entry, digest = fresh.entries[n]
        known[digest] = parse.ident(entry.stream_id) or ""
    again = split(body, known)
    all_ids = [parse.ident(e.stream_id) for e, _ in fresh.entries]
    assert sorted(again.unchanged) == sorted(known.values())
    converted = [parse.ident(e.stream_id) for e, _ in again.entries]
    assert sorted(converted + again.unchanged) == sorted(all_ids)  # nothing twice, nothing lost


def test_digest_depends_on_bytes_type_and_categories() -> None:
    raw = b'{"stream_id":1,"name":"A"}'
    base = listing.entry_digest(raw, KEY)
    assert base == listing.entry_digest(raw, listing.digest_key("movie", {"2", "1"}))
    assert base != listing.entry_digest(raw, listing.digest_key("movie", {"1"}))
    assert base != listing.entry_digest(raw, listing.digest_key("show", {"1", "2"}))
    assert base != listing.entry_digest(b'{"stream_id":1,"name":"B"}', KEY)


def test_positional_object_null_and_bad_entries() -> None:
    body = b'{"0": {"stream_id": 5}, "3": {"stream_id": {"x": 1}}, "7": {"stream_id": "6"}}'
    got = split(body)
    assert [parse.ident(e.stream_id) for e, _ in got.entries] == ["5", "6"]
    assert split(b"null").null
    with pytest.raises(BadResponse, match="malformed JSON"):
        split(b"[{")
    with pytest.raises(BadResponse, match="unexpected JSON"):
        split(b'"text"')


def test_changed_duplicate_does_not_shadow_first_occurrence() -> None:
    """An id listed twice: the first (changed) occurrence is converted, not both."""
    first, second = b'{"stream_id":9,"name":"new"}', b'{"stream_id":9,"name":"old"}'
    known = {listing.entry_digest(second, KEY): "9"}
    got = split(b"[" + first + b"," + second + b"]", known)
    assert [e.name for e, _ in got.entries] == ["new"]
    assert got.unchanged == []
