"""pyxtream (the loader behind Hypnotix) reads the fake like a real panel."""

from __future__ import annotations

from pathlib import Path

import pytest

from reel.testing.fakes.xtream import XtreamFake
from reel.testing.fakes.xtream.render import listing

pyxtream = pytest.importorskip("pyxtream")


def _named(fake: XtreamFake, action: str) -> int:
    # pyxtream keeps duplicated entries and skips entries whose name is empty
    return sum(1 for entry in listing(fake.catalog, action) if entry["name"])


def test_pyxtream_loads_the_catalog(fake: XtreamFake, tmp_path: Path) -> None:
    cfg = fake.config
    client = pyxtream.XTream(
        "reel-fake", cfg.username, cfg.password, cfg.public_url, cache_path=str(tmp_path)
    )
    assert client.state["authenticated"]
    assert client.load_iptv()
    assert len(client.channels) == _named(fake, "get_live_streams") > 50
    assert len(client.movies) == _named(fake, "get_vod_streams") > 80
    assert len(client.series) == _named(fake, "get_series") > 35
    group_names = {g.name for g in client.groups}
    assert {c["category_name"] for c in fake.catalog.category_entries("vod")} <= group_names
    # its stream URLs are the ones the panel serves
    movie = client.movies[0]
    ext = movie.raw["container_extension"]
    assert movie.url == f"{cfg.public_url}/movie/{cfg.username}/{cfg.password}/{movie.id}.{ext}"
    # and it reads a series' seasons and episodes (a series keyed by season, as it expects)
    i = next(
        i
        for i in fake.catalog.indexes("series")
        if fake.catalog.episodes_layout(i) == "dict"
        and i % 7 != 3
        and i % 19 != 2
        and fake.catalog.series_name(i)
    )
    serie = next(s for s in client.series if s.series_id == fake.catalog.stream_id("series", i))
    client.get_series_info_by_id(serie)
    assert sorted(len(season.episodes) for season in serie.seasons.values()) == [3, 3]


def test_pyxtream_sees_bad_credentials(fake: XtreamFake, tmp_path: Path) -> None:
    fake.config.bad_auth_status = 401
    client = pyxtream.XTream(
        "reel-fake", fake.config.username, "wrong", fake.config.public_url, cache_path=str(tmp_path)
    )
    assert not client.state["authenticated"]
    assert not client.load_iptv()
