"""Incremental Jellyfin listings: counts decide id sweeps, recent plays and watched-set
counts decide watch state, and a periodic sweep bounds what the counts cannot see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reel.sources.base import ListingContext
from reel.sources.jellyfin.adapter import JellyfinAdapter
from reel.testing.fakes.jellyfin import FakeJellyfin


async def _synced(adapter: JellyfinAdapter, run_listing: Any) -> tuple[ListingContext, Any]:
    first = ListingContext(full=True)
    got = await run_listing(adapter, first)
    return first, got


def _next(first: ListingContext, known: dict[tuple[str, str], str] | None = None) -> Any:
    return ListingContext(
        full=False, since=datetime.now(UTC), state=dict(first.state), known_hashes=known or {}
    )


def _known(got: Any) -> dict[tuple[str, str], str]:
    """What the catalog would hold after `got`: every listed item."""
    return {(i.type, i.remote_id): "h" for i in got.items()}


async def test_added_movies_are_counted_and_need_no_sweep(
    fake: FakeJellyfin, adapter: JellyfinAdapter, run_listing: Any
) -> None:
    first, got = await _synced(adapter, run_listing)
    added = fake.data.add_movies(2)
    ctx = _next(first, _known(got))
    out = await run_listing(adapter, ctx)
    assert sorted(i.remote_id for i in out.items()) == sorted(added)
    assert out.present("movie") == [] and "movie" not in ctx.complete_types


async def test_add_and_delete_in_one_interval_forces_a_sweep(
    fake: FakeJellyfin, adapter: JellyfinAdapter, run_listing: Any
) -> None:
    first, got = await _synced(adapter, run_listing)
    added = fake.data.add_movies(1)
    gone = fake.data.delete(1, "Movie")
    ctx = _next(first, _known(got))
    out = await run_listing(adapter, ctx)
    assert [i.remote_id for i in out.items()] == added
    present = set(out.present("movie")) | set(added)
    assert present == set(fake.ids("Movie")) and not present & set(gone)
    assert ctx.complete_types == {"movie"}
    # the next sync trusts the new count again (the added movie is inside the cut-off's
    # overlap, so it is listed again, but as known: the count adds up)
    again = _next(ctx, _known(got) | {("movie", a): "h" for a in added})
    out = await run_listing(adapter, again)
    assert out.present("movie") == [] and {i.remote_id for i in out.items()} <= set(added)


async def test_without_catalog_hashes_the_date_watermark_counts_new_items(
    fake: FakeJellyfin, adapter: JellyfinAdapter, run_listing: Any
) -> None:
    first, _ = await _synced(adapter, run_listing)
    fake.data.add_movies(3)
    ctx = _next(first)
    out = await run_listing(adapter, ctx)
    assert len(out.items("movie")) == 3 and out.present("movie") == []
    fake.data.delete(1, "Movie")
    ctx2 = _next(ctx)
    out = await run_listing(adapter, ctx2)
    assert sorted(out.present("movie")) == sorted(fake.ids("Movie"))


async def test_watch_state_from_other_devices(
    fake: FakeJellyfin, adapter: JellyfinAdapter, run_listing: Any
) -> None:
    first, _ = await _synced(adapter, run_listing)
    owner = fake.owner.id
    movies = fake.ids("Movie")
    played = [m for m in movies if fake.data.data_for(owner, m).played]
    fresh = [m for m in movies if not fake.data.data_for(owner, m).last_played][:2]
    fake.data.set_played(played[:1], False)  # clears LastPlayedDate: only the counts see it
    fake.data.set_played(fresh[:1], True)
    fake.data.set_progress(fresh[1:2], 60_000)
    ctx = _next(first)
    out = await run_listing(adapter, ctx)
    assert out.items() == []
    assert not out.user_data[played[0]].played and out.user_data[played[0]].position_ms == 0
    assert out.user_data[fresh[0]].played
    assert out.user_data[fresh[1]].position_ms == 60_000
    # now in step: a further sync lists no watched sets; plays inside the cut-off's
    # overlap (clock skew allowance) may be reported again, with the same state
    fake.requests.clear()
    out = await run_listing(adapter, _next(ctx))
    assert set(out.user_data) <= {fresh[0], fresh[1]}
    assert not any(
        "IsPlayed=true" in r[2][":query"] and "Limit=1&" not in r[2][":query"]
        for r in fake.requests
    )


async def test_in_progress_item_marked_played_keeps_its_old_date_and_is_still_found(
    fake: FakeJellyfin, adapter: JellyfinAdapter, run_listing: Any
) -> None:
    owner = fake.owner.id
    started = [m for m in fake.ids("Movie") if fake.data.data_for(owner, m).position_ticks]
    assert started, "the seeded library has in-progress movies"
    first, _ = await _synced(adapter, run_listing)
    before = fake.data.data_for(owner, started[0]).last_played
    fake.data.set_played(started[:1], True)
    assert fake.data.data_for(owner, started[0]).last_played == before  # not a recent play
    out = await run_listing(adapter, _next(first))
    state = out.user_data[started[0]]
    assert state.played and state.position_ms == 0


async def test_sweep_every_lists_all_ids_and_watch_state(
    fake: FakeJellyfin, config_for: Any, fast_retry: Any, run_listing: Any
) -> None:
    adapter = JellyfinAdapter(config_for(page_size=7, sweep_every=1), retry=fast_retry)
    adapter = JellyfinAdapter(await adapter.setup(), retry=fast_retry)
    try:
        first, _ = await _synced(adapter, run_listing)
        movies = fake.ids("Movie")
        ctx = _next(first)
        out = await run_listing(adapter, ctx)
        assert ctx.complete_types == {"movie", "show", "season", "episode"}
        assert sorted(out.present("movie")) == sorted(movies)
        assert out.user_data == {}  # the sweep reports only watch state that moved
        assert ctx.state["syncs_since_sweep"] == 0
    finally:
        await adapter.aclose()


async def test_another_account_state_is_not_trusted(
    fake: FakeJellyfin, adapter: JellyfinAdapter, run_listing: Any
) -> None:
    first, _ = await _synced(adapter, run_listing)
    state = dict(first.state, user_id="someone-else")
    ctx = ListingContext(full=False, since=datetime.now(UTC), state=state)
    out = await run_listing(adapter, ctx)
    assert len(out.items("movie")) == fake.count("Movie")
    assert ctx.complete_types == {"movie", "show", "season", "episode"}
