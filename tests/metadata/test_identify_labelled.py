"""Identification precision and recall on labelled names against the fake TMDB."""

from __future__ import annotations

import httpx

from reel.metadata.recognize import recognize
from reel.metadata.tmdb import MemoryCache, TmdbClient, TmdbProvider
from reel.testing.fakes.tmdb import FakeTmdbConfig, build_app
from reel.testing.names import labelled_set
from reel.testing.titles import build_world


async def test_precision_at_default_threshold() -> None:
    config = FakeTmdbConfig(movies=300, shows=40)
    world = build_world(config.seed, config.movies, config.shows)
    names = labelled_set(500, seed=3, world=world)
    transport = httpx.ASGITransport(app=build_app(config))
    client = TmdbClient("http://tmdb.test/3", config.api_key, cache=MemoryCache(), rate=0,
                        transport=transport)  # fmt: skip
    provider = TmdbProvider(client)
    memo: dict[tuple[object, ...], int | None] = {}
    true_pos = false_pos = 0
    for name in names:
        r = recognize(name.path)
        kind = "movie" if r.kind == "movie" else "tv"
        key = (kind, r.title, r.year, tuple(sorted(r.ids.items())))
        if key not in memo:
            memo[key] = (await provider.identify(kind, r.title, r.year, r.ids)).tmdb_id
        got = memo[key]
        if got is not None:
            true_pos += got == name.expected.tmdb_id
            false_pos += got != name.expected.tmdb_id
    await client.aclose()
    positives = sum(1 for n in names if n.expected.tmdb_id is not None)
    assert positives < len(names)  # the set holds films TMDB does not know
    precision, recall = true_pos / (true_pos + false_pos), true_pos / positives
    assert precision >= 0.98, (precision, recall)
    assert recall >= 0.9, (precision, recall)
