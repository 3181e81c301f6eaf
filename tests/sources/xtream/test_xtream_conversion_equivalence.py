"""items.py must convert every entry exactly as the frozen reference did.

The speed work on the conversion changes how, never what: the fake's quirky listings and
hypothesis-made entries go through both implementations and must give equal records.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reel.sources.xtream import items, parse
from reel.testing.fakes.xtream import XtreamFakeConfig
from reel.testing.fakes.xtream.catalog import XtreamCatalog
from reel.testing.fakes.xtream.render import listing, php_json


def _load_reference() -> Any:
    """The tests folder is not a package: load the frozen copy by path."""
    path = Path(__file__).with_name("_items_reference.py")
    spec = importlib.util.spec_from_file_location("_xtream_items_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


reference = _load_reference()

CASES = [
    ("get_live_streams", "live", parse.LiveStream, items.channel, reference.channel),
    ("get_vod_streams", "vod", parse.VodStream, items.movie, reference.movie),
    ("get_series", "series", parse.Series, items.show, reference.show),
]


def _both(entry: Any, known: set[str], new: Any, old: Any) -> tuple[Any, Any]:
    return msgspec.to_builtins(new(entry, known)), msgspec.to_builtins(old(entry, known))


@pytest.mark.parametrize("seed", [1, 7])
@pytest.mark.parametrize(("action", "kind", "type_", "new", "old"), CASES)
def test_fake_listing_converts_identically(
    seed: int, action: str, kind: Any, type_: Any, new: Any, old: Any
) -> None:
    cat = XtreamCatalog(XtreamFakeConfig(live=300, vod=2000, series=100, seed=seed))
    body = php_json(listing(cat, action))
    entries = parse.decode_list(body, type_, action, "panel")
    assert entries is not None and len(entries) > 100
    known = set(cat.category_ids(kind))
    for entry in entries:
        got, want = _both(entry, known, new, old)
        assert got == want, entry


def test_deduplication_matches() -> None:
    cat = XtreamCatalog(XtreamFakeConfig(vod=500))
    entries = parse.decode_list(
        php_json(listing(cat, "get_vod_streams")), parse.VodStream, "vod", "panel"
    )
    assert entries is not None
    assert items.dedupe(entries, "stream_id") == reference.dedupe(entries, "stream_id")


_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "00123",
            "2010",
            "2010-05-01",
            " 1685447913 ",
            "7,5",
            "5.7",
            "11",
            "Drama, Action / War|Crime",
            "DE - Heat (1995)",
            "Heat | 1995 | 7.9",
            "|FR| Heat [2001]",
            "EN: Heat",
            "mkv",
            ".mkv",
            "radio_streams",
            "4102444801",
            "nan",
            "1e3",
            "١٢٣",
        ]
    ),
    st.text(max_size=20),
)
_field = st.one_of(_scalar, st.lists(_scalar, max_size=4))
_KNOWN = {"1", "2", "123", "2010"}


@settings(max_examples=300, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize(("action", "kind", "type_", "new", "old"), CASES)
def test_random_entries_convert_identically(
    data: st.DataObject, action: str, kind: Any, type_: Any, new: Any, old: Any
) -> None:
    fields = {
        f: data.draw(_field if f in ("category_ids", "backdrop_path") else _scalar, label=f)
        for f in type_.__struct_fields__
    }
    entry = type_(**fields)
    got, want = _both(entry, _KNOWN, new, old)
    assert got == want
