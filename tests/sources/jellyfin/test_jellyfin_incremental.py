"""Incremental Jellyfin listings: counts decide id sweeps, recent plays and watched-set
counts decide watch state, and a periodic sweep bounds what the counts cannot see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from reel.sources.base import ListingContext
from reel.sources.jellyfin import watch
from reel.sources.jellyfin.adapter import JellyfinAdapter
from reel.sources.jellyfin.freshness import Freshness
from reel.testing.fakes.jellyfin import FakeJellyfin
from reel.testing.fakes.jellyfin_data import apply_stop


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
    sets = [r[2][":query"] for r in fake.requests if "DatePlayed" in r[2][":query"]]
    assert sets and all("StartIndex=0&" in q and "EnableUserData=true" in q for q in sets)
    assert not any("IsPlayed=true" in q and "EnableUserData=false" in q for q in sets)


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


def _queries(fake: FakeJellyfin) -> list[dict[str, str]]:
    """The `/Items` queries the fake answered since its log was cleared."""
    return [
        dict(parse_qsl(r[2][":query"]))
        for r in fake.requests
        if r[1] == "/items" and r[2].get(":query")
    ]


async def test_a_changed_set_is_listed_by_id_and_only_the_changes_looked_up(
    fake: FakeJellyfin, adapter: JellyfinAdapter, run_listing: Any
) -> None:
    owner = fake.owner.id
    movies = fake.ids("Movie")
    played = [m for m in movies if fake.data.data_for(owner, m).played]
    started = [m for m in movies if fake.data.data_for(owner, m).position_ticks]
    first, _ = await _synced(adapter, run_listing)
    fake.data.set_played(played[:1], False)
    fake.data.set_played(started[:1], True)  # keeps its old date: no recent play
    fake.requests.clear()
    out = await run_listing(adapter, _next(first))
    assert set(out.user_data) == {played[0], started[0]}
    assert not out.user_data[played[0]].played and out.user_data[started[0]].played
    queries = _queries(fake)
    sets = [q for q in queries if q.get("IsPlayed") == "true" or q.get("Filters") == "IsResumable"]
    # the first page of each set (its count and newest plays) carries user data; a set
    # listed because its count moved is ids only
    heads = [q for q in sets if q["EnableUserData"] == "true"]
    listings = [q for q in sets if q["EnableUserData"] == "false"]
    assert len(heads) == 4 and all(q["Limit"] == str(watch.RECENT_FIRST) for q in heads)
    assert listings and all("Fields" not in q and q["EnableImages"] == "false" for q in listings)
    looked_up = [q["Ids"].split(",") for q in queries if "Ids" in q]
    assert sorted(i for ids in looked_up for i in ids) == sorted([played[0], started[0]])


async def test_a_dropped_resume_point_leaves_the_resumable_set(
    fake: FakeJellyfin, adapter: JellyfinAdapter, run_listing: Any
) -> None:
    """Played again and stopped near the start: the server drops the resume point."""
    owner = fake.owner.id
    started = next(m for m in fake.ids("Movie") if fake.data.data_for(owner, m).position_ticks)
    first, _ = await _synced(adapter, run_listing)
    item = fake.data.items[started]
    with fake.data.lock:
        apply_stop(fake.data.user_data[owner, started], 1, item.runtime_ticks, datetime.now(UTC))
        fake.data.user_version += 1
    ctx = _next(first)
    out = await run_listing(adapter, ctx)
    assert out.user_data[started].position_ms == 0 and not out.user_data[started].played
    kept = Freshness.load(ctx.state, adapter.config.settings["user_id"])
    assert kept is not None and started not in kept.watch["movie"]


async def test_recent_plays_are_read_past_the_first_page(
    fake: FakeJellyfin, adapter: JellyfinAdapter, run_listing: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(watch, "RECENT_FIRST", 2)
    monkeypatch.setattr(watch, "RECENT_PAGE_SIZE", 2)
    owner = fake.owner.id
    fresh = [m for m in fake.ids("Movie") if not fake.data.data_for(owner, m).last_played][:5]
    assert len(fresh) == 5
    first, _ = await _synced(adapter, run_listing)
    fake.data.set_played(fresh, True)
    fake.requests.clear()
    out = await run_listing(adapter, _next(first))
    assert set(out.user_data) == set(fresh) and all(out.user_data[m].played for m in fresh)
    # the recent plays account for the new count: no set is listed, nothing looked up
    assert not any(q.get("EnableUserData") == "false" and "IsPlayed" in q for q in _queries(fake))
    assert not any("Ids" in q for q in _queries(fake))
