"""The bookkeeping Plex and Jellyfin incrementals share (`reel.sources.freshness`): how the
watch maps are kept in the state, how the watched/in-progress sets are settled against the
server's counts, and the requests a listing starts ahead of need."""

from __future__ import annotations

import asyncio
import copy

import pytest

from reel.sources.freshness import (
    Ahead,
    CountBook,
    SetListing,
    Settling,
    State,
    decode_watch,
    encode_watch,
    verify_sets,
)
from reel.sources.records import UserDataRecord

# -- the watch maps in `ctx.state` ---------------------------------------------------------


def test_watch_maps_are_kept_as_strings_and_read_back() -> None:
    book = CountBook(counts={"1:movie": [3, 100]}, watch={"movie": {"7": [2, 0], "9": [0, 5]}})
    state = copy.deepcopy(book.state_fields())
    assert isinstance(state["watch"]["movie"], str)
    assert CountBook.from_state(state) == {
        "counts": {"1:movie": [3, 100]},
        "watch": {"movie": {"7": [2, 0], "9": [0, 5]}},
        "swept_at": 0.0,
        "syncs_since_sweep": 0,
    }


def test_watch_maps_kept_as_dicts_still_load() -> None:
    """State written before the maps became strings needs no full sync to read."""
    old = {"counts": {}, "watch": {"episode": {"4": [1, 0]}}}
    fields = CountBook.from_state(old)
    assert fields is not None and fields["watch"] == {"episode": {"4": [1, 0]}}


@pytest.mark.parametrize("broken", ['{"7": [1]}', '{"7": "x"}', "not json", 12])
def test_a_broken_watch_map_makes_the_state_unusable(broken: object) -> None:
    assert decode_watch(broken) is None
    assert CountBook.from_state({"counts": {}, "watch": {"movie": broken}}) is None


def test_encoding_round_trips_any_id() -> None:
    watch = {'odd "id", with: separators;': [1, 2], "": [0, 3]}
    assert decode_watch(encode_watch(watch)) == watch


# -- settling the sets ---------------------------------------------------------------------


def _record(key: str, entry: list[int]) -> UserDataRecord:
    return UserDataRecord(
        remote_id=key, type="movie", position_ms=entry[1], played=entry[0] > 0,
        play_count=entry[0],
    )  # fmt: skip


class Server:
    """Watch state as a server holds it; answers set listings and look-ups, and records
    what was asked."""

    def __init__(self, state: dict[str, list[int]], *, states_in_listing: bool) -> None:
        self.state = state
        self.states_in_listing = states_in_listing
        self.listed: list[int] = []
        self.looked_up: list[list[str]] = []
        self.complete = True

    def counts(self) -> tuple[int, int]:
        return (
            sum(1 for e in self.state.values() if e[0]),
            sum(1 for e in self.state.values() if e[1]),
        )

    async def list_set(self, n: int) -> SetListing:
        self.listed.append(n)
        got = SetListing(complete=self.complete)
        for key, entry in self.state.items():
            if entry[n]:
                got.members.add(key)
                if self.states_in_listing:
                    got.states[key] = (list(entry), _record(key, entry))
        return got

    async def look_up(self, keys: list[str]) -> dict[str, State]:
        self.looked_up.append(keys)
        known = [k for k in keys if k in self.state]
        return {k: (list(self.state[k]), _record(k, self.state[k])) for k in known}


async def _settle(
    ours: dict[str, list[int]], server: Server, *, look_up: bool = False
) -> list[UserDataRecord]:
    return await verify_sets(
        ours, server.counts(), "movie", server.list_set, server.look_up if look_up else None
    )


async def test_equal_counts_list_nothing() -> None:
    ours = {"1": [1, 0], "2": [0, 50]}
    server = Server({"1": [1, 0], "2": [0, 50]}, states_in_listing=True)
    assert await _settle(ours, server) == []
    assert server.listed == [] and ours == {"1": [1, 0], "2": [0, 50]}


async def test_only_the_set_whose_count_differs_is_listed() -> None:
    ours = {"1": [1, 0], "2": [2, 0], "3": [0, 40]}
    # "1" unwatched elsewhere; "4" and "5" watched with dates the recent plays missed
    server = Server({"2": [2, 0], "3": [0, 40], "4": [1, 0], "5": [1, 0]}, states_in_listing=True)
    changes = await _settle(ours, server)
    assert server.listed == [0]
    assert ours == server.state
    by_id = {c.remote_id: c for c in changes}
    assert set(by_id) == {"1", "4", "5"}
    assert by_id["1"] == UserDataRecord(remote_id="1", type="movie")  # unwatched: all cleared
    assert by_id["4"].played and by_id["5"].play_count == 1


async def test_a_listed_state_that_moved_within_the_set_is_reported() -> None:
    ours = {"1": [1, 0], "2": [1, 0]}
    server = Server({"1": [3, 0]}, states_in_listing=True)  # "2" unwatched, "1" seen twice more
    changes = await _settle(ours, server)
    assert ours == {"1": [3, 0]}
    assert {c.remote_id: c.play_count for c in changes} == {"1": 3, "2": 0}


async def test_leaving_one_set_while_in_the_other_lists_the_other() -> None:
    """An item watched and in progress, unwatched elsewhere (both cleared), while another
    item's resume point appeared unseen: the in-progress count stays equal, yet the first
    item's place in it is unknown until that set is listed."""
    ours = {"1": [2, 300], "2": [1, 0]}
    server = Server({"2": [1, 0], "3": [0, 500]}, states_in_listing=True)
    changes = await _settle(ours, server)
    assert server.listed == [0, 1]
    assert ours == {"2": [1, 0], "3": [0, 500]}
    assert {c.remote_id: c.position_ms for c in changes} == {"1": 0, "3": 500}


async def test_a_count_still_off_after_the_first_set_lists_the_second() -> None:
    """Jellyfin keeps the old play date of a resumable item marked played: the played
    count stays equal when another item is unplayed meanwhile, until the look-up of the
    item that left the resumable set shows where it went."""
    ours = {"1": [1, 0], "2": [0, 70]}
    server = Server({"2": [1, 0]}, states_in_listing=False)
    changes = await _settle(ours, server, look_up=True)
    assert server.listed == [1, 0] and server.looked_up == [["2"], ["1"]]
    assert ours == {"2": [1, 0]}
    assert {c.remote_id for c in changes} == {"1", "2"}


async def test_an_incomplete_listing_settles_joiners_but_no_leavers() -> None:
    ours = {"1": [1, 0]}
    server = Server({"2": [1, 0]}, states_in_listing=True)
    server.state["3"] = [1, 0]
    server.complete = False  # the set shifted while paging: "1" may merely have been skipped
    changes = await _settle(ours, server)
    assert ours == {"1": [1, 0], "2": [1, 0], "3": [1, 0]}
    assert {c.remote_id for c in changes} == {"2", "3"}


async def test_ids_only_listings_look_up_what_changed() -> None:
    ours = {"1": [1, 0], "2": [1, 0], "3": [0, 40], "gone": [1, 0]}
    server = Server({"2": [1, 0], "3": [1, 0], "4": [0, 90]}, states_in_listing=False)
    changes = await _settle(ours, server, look_up=True)
    # the in-progress count is equal until "3" turns out to have left that set for the
    # watched one; each changed item is looked up once
    assert server.listed == [0, 1]
    assert server.looked_up == [["1", "3", "gone"], ["4"]]
    assert ours == server.state
    by_id = {c.remote_id: c for c in changes}
    assert set(by_id) == {"1", "3", "4", "gone"}
    assert not by_id["gone"].played and by_id["3"].played and by_id["4"].position_ms == 90


# -- requests started ahead ----------------------------------------------------------------


async def test_ahead_starts_each_request_once_and_cancels_what_is_left() -> None:
    calls: list[str] = []
    never = asyncio.Event()

    async def work(name: str) -> str:
        calls.append(name)
        if name == "slow":
            await never.wait()
        return name.upper()

    ahead = Ahead(concurrency=2)
    ahead.start("a", lambda: work("a"))
    ahead.start("a", lambda: work("again"))
    ahead.start("slow", lambda: work("slow"))
    assert await ahead.get("a", lambda: work("unused")) == "A"
    assert await ahead.get("b", lambda: work("b")) == "B"  # not asked ahead: runs now
    await ahead.aclose()
    assert calls == ["a", "slow", "b"]


async def test_ahead_keeps_a_failure_for_whoever_asks() -> None:
    async def fail() -> int:
        raise RuntimeError("server down")

    ahead = Ahead(concurrency=1)
    ahead.start("n", fail)
    with pytest.raises(RuntimeError, match="server down"):
        await ahead.get("n", fail)
    ahead.start("m", fail)  # failing unasked: closing still retrieves it
    await ahead.aclose()


# -- settlements that overlap the rest of the listing -------------------------------------


async def test_settlements_run_side_by_side_and_report_in_start_order() -> None:
    """A kind's settlement runs while the next one starts; both were under way at once,
    and their changes come back in the order the kinds were listed."""
    under_way: list[str] = []
    both = asyncio.Event()

    async def settle(kind: str, delay: float) -> list[UserDataRecord]:
        under_way.append(kind)
        if len(under_way) == 2:
            both.set()
        await asyncio.wait_for(both.wait(), timeout=5)
        await asyncio.sleep(delay)
        return [UserDataRecord(remote_id=kind, type="movie")] if kind != "empty" else []

    settling = Settling()
    settling.start(settle("movies", 0.05))
    settling.start(settle("episodes", 0.0))  # done first
    settling.start(settle("empty", 0.0))
    got = [changes async for changes in settling.results()]
    assert [[r.remote_id for r in changes] for changes in got] == [["movies"], ["episodes"]]
    await settling.aclose()


async def test_closing_cancels_settlements_still_running() -> None:
    cancelled = asyncio.Event()

    async def forever() -> list[UserDataRecord]:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return []

    settling = Settling()
    settling.start(forever())
    await asyncio.sleep(0)
    await settling.aclose()
    assert cancelled.is_set()
