"""Bookkeeping shared by incremental listings of servers without tombstones (Plex,
Jellyfin): per-(library, type) counts, the watched/in-progress sets, and when the last
full id sweep ran. Each adapter's own `freshness` module says what its counts mean.

The watch maps hold an entry for every watched or started item — tens of thousands on a
big server — so `ctx.state` keeps each as one JSON string: the engine copies and stores
the state on every sync, and a string is copied by reference where a dict of small lists
is walked item by item.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import msgspec

from reel.sources.records import ItemType, UserDataRecord

log = logging.getLogger(__name__)
T = TypeVar("T")

SWEEP_HOURS = 24.0
SWEEP_EVERY = 96

# {remote id: [first, second]} — e.g. [view count, offset] or [played, position ticks].
WatchMap = dict[str, list[int]]

_Entry = Annotated[list[int], msgspec.Meta(min_length=2, max_length=2)]
_watch_decoder = msgspec.json.Decoder(dict[str, _Entry])


async def _cancel_all(futures: list[asyncio.Future[Any]]) -> None:
    """Cancel what is still running and collect every outcome, failures included, so
    none is left unretrieved."""
    for future in futures:
        future.cancel()
    await asyncio.gather(*futures, return_exceptions=True)


class Settling:
    """The watch-state settlements (`verify_sets`) of the kinds listed so far, running
    while the listing goes on to the next kind, so that one kind's set listings overlap the
    next kind's changed items instead of waiting for each other.

    Each kind has a watch map of its own, and the engine applies watch state only after
    the whole listing, so the changes are yielded at its end. Whatever has not finished
    when the listing ends early or fails is cancelled.
    """

    def __init__(self) -> None:
        self._running: list[asyncio.Future[list[UserDataRecord]]] = []

    def start(self, work: Awaitable[list[UserDataRecord]]) -> None:
        self._running.append(asyncio.ensure_future(work))

    async def results(self) -> AsyncIterator[list[UserDataRecord]]:
        """Each settlement's changes, in the order they were started; empty ones left out."""
        for task in self._running:
            changes = await task
            if changes:
                yield changes

    async def aclose(self) -> None:
        await _cancel_all(self._running)


class Ahead:
    """Requests an incremental listing will need later (counts, recent plays), started at
    once and run a few at a time while the changed listings stream; whatever the listing
    no longer needs when it ends (early, failed, or because it swept) is cancelled.

    Each count is one empty page, and waiting for them one after the other cost more than
    the rest of an unchanged sync. A count taken a moment before the listing is as good as
    one taken after: an item added or removed in between makes the figures disagree (an id
    listing), or shows in the next sync's count.
    """

    def __init__(self, concurrency: int) -> None:
        self._limit = asyncio.Semaphore(max(concurrency, 1))
        self._started: dict[Hashable, asyncio.Future[Any]] = {}

    def start(self, key: Hashable, work: Callable[[], Awaitable[Any]]) -> None:
        """Begin `work()` now (once per key)."""
        if key in self._started:
            return

        async def run() -> Any:
            async with self._limit:
                return await work()

        self._started[key] = asyncio.ensure_future(run())

    async def get(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> T:
        """What `work()` returned, started now if it was not asked for ahead."""
        self.start(key, work)
        result: T = await self._started[key]
        return result

    async def aclose(self) -> None:
        await _cancel_all(list(self._started.values()))


def count_key(library_id: str, item_type: str) -> str:
    return f"{library_id}:{item_type}"


def encode_watch(watch: WatchMap) -> str:
    """A watch map as kept in `ctx.state`."""
    return msgspec.json.encode(watch).decode()


def decode_watch(value: Any) -> WatchMap | None:
    """A kept watch map (a JSON string, or a dict from before it was one); None if broken."""
    if isinstance(value, dict):
        value = msgspec.json.encode(value)
    elif not isinstance(value, str):
        return None
    try:
        return _watch_decoder.decode(value)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


@dataclass
class CountBook:
    """The part of `ctx.state` both adapters keep, read at a sync's start, written at its end."""

    counts: dict[str, list[Any]] = field(default_factory=dict)  # key -> [total, newest]
    watch: dict[str, WatchMap] = field(default_factory=dict)
    swept_at: float = 0.0
    syncs_since_sweep: int = 0

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> dict[str, Any] | None:
        """The constructor arguments kept in `state`, or None when they are unusable."""
        counts, kept = state.get("counts"), state.get("watch")
        if not isinstance(counts, dict) or not isinstance(kept, dict):
            return None
        watch: dict[str, WatchMap] = {}
        for item_type, value in kept.items():
            decoded = decode_watch(value)
            if decoded is None:
                return None
            watch[item_type] = decoded
        return {
            "counts": {
                k: list(v) for k, v in counts.items() if isinstance(v, list) and len(v) == 2
            },
            "watch": watch,
            "swept_at": float(state.get("swept_at") or 0.0),
            "syncs_since_sweep": int(state.get("syncs_since_sweep") or 0),
        }

    def sweep_due(self, hours: float, every: int) -> bool:
        """Whether this sync must list every id whatever the counts say."""
        too_old = time.time() - self.swept_at > hours * 3600
        return too_old or (every > 0 and self.syncs_since_sweep + 1 >= every)

    def state_fields(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "watch": {item_type: encode_watch(m) for item_type, m in self.watch.items()},
            "swept_at": self.swept_at,
            "syncs_since_sweep": self.syncs_since_sweep,
        }


def watch_totals(watch: WatchMap) -> tuple[int, int]:
    """How many entries have a non-zero first value (watched) and second (in progress)."""
    return sum(1 for first, _ in watch.values() if first), sum(1 for _, s in watch.values() if s)


def reconcile(
    watch: WatchMap,
    current: WatchMap,
    records: Mapping[str, UserDataRecord],
    item_type: ItemType,
    *,
    complete: bool,
) -> list[UserDataRecord]:
    """Replace `watch` by the server's sets in `current`; return what changed.

    An item missing from `current` is reported unwatched only when the listing was
    complete: a listing that shifted while paging may have skipped it.
    """
    changes = [records[k] for k, entry in current.items() if watch.get(k) != entry]
    if complete:
        changes.extend(
            UserDataRecord(remote_id=k, type=item_type) for k in watch if k not in current
        )
        watch.clear()
    watch.update(current)
    return changes


# -- checking the watched and in-progress sets against the server's counts ----------------

WATCHED, STARTED = 0, 1
SET_NAMES = ("the watched set", "the in-progress set")
State = tuple[list[int], UserDataRecord]  # an item's watch entry and the record to report


@dataclass
class SetListing:
    """One listing of the server's watched (or in-progress) set.

    `members` holds every id the listing named; `states` the exact state of those whose
    answer carried it (a listing may name ids only and leave the states to a lookup, and
    may leave out the states of members whose entry is what we hold).
    """

    members: set[str] = field(default_factory=set)
    states: dict[str, State] = field(default_factory=dict)
    complete: bool = False


ListSet = Callable[[int], Awaitable[SetListing]]
LookUp = Callable[[list[str]], Awaitable[dict[str, State]]]


async def verify_sets(
    watch: WatchMap,
    counted: tuple[int, int],
    item_type: ItemType,
    list_set: ListSet,
    look_up: LookUp | None = None,
) -> list[UserDataRecord]:
    """Bring `watch` in step with the server's watched and in-progress sets, whose sizes
    the server counted as `counted`; return the records of what changed.

    Only a set whose count differs from ours is listed. Items that joined or left it are
    then settled: by the state the listing carried, else by `look_up` (the server's state
    of those few items), else — an item gone from every listed set — as gone from those
    sets only. Without `look_up` that relies on the server stamping a new play date on
    every item that joins a set (Plex does: scrobble and timeline both set
    `lastViewedAt`), so the recent plays have applied every join. If the other set's
    count still disagrees afterwards, or an item gone from a listed set was in the other
    as far as we know, that set is listed too. Equal counts over different members stay
    unseen until the adapter's periodic sweep, as before. Leavers are settled only from a
    complete listing: one that shifted while paging may have skipped them.
    """
    listed: dict[int, SetListing] = {}
    looked: dict[str, State] = {}
    totals = watch_totals(watch)
    wanted = [n for n in (WATCHED, STARTED) if counted[n] != totals[n]]
    if wanted:
        log.info(
            "%ss: the server counts %d watched / %d in progress, we hold %d / %d; listing %s",
            item_type, *counted, *totals, " and ".join(SET_NAMES[n] for n in wanted),
        )  # fmt: skip
    proposal: WatchMap = watch
    records: dict[str, UserDataRecord] = {}
    while wanted:
        for n, got in zip(wanted, await asyncio.gather(*map(list_set, wanted)), strict=True):
            listed[n] = got
        proposal, records, unsure = await _settle(watch, listed, item_type, look_up, looked)
        totals = watch_totals(proposal)
        wanted = [
            n
            for n in (WATCHED, STARTED)
            if n not in listed and (n in unsure or totals[n] != counted[n])
        ]
    changes = [records[k] for k, entry in proposal.items() if watch.get(k) != entry]
    changes.extend(records[k] for k in watch if k not in proposal)
    if proposal is not watch:
        watch.clear()
        watch.update(proposal)
    return changes


async def _settle(
    watch: WatchMap,
    listed: Mapping[int, SetListing],
    item_type: ItemType,
    look_up: LookUp | None,
    looked: dict[str, State],
) -> tuple[WatchMap, dict[str, UserDataRecord], set[int]]:
    """The watch map the listings imply, the record of every item they change, and the
    unlisted sets that items gone from a listed set still belonged to as far as we know.
    `looked` keeps what `look_up` answered, for a second round."""
    candidates: set[str] = set()
    for n, got in listed.items():
        candidates.update(k for k in got.members if not _holds(watch.get(k), n))
        if got.complete:
            candidates.update(k for k, entry in watch.items() if entry[n] and k not in got.members)
        # A state the listing carried anyway may show a change within the set as well.
        candidates.update(k for k, (entry, _) in got.states.items() if watch.get(k) != entry)
    known: dict[str, State] = {}
    for got in listed.values():
        known.update((k, s) for k, s in got.states.items() if k in candidates)
    known.update((k, s) for k, s in looked.items() if k in candidates)
    missing = sorted(candidates - known.keys())
    if missing and look_up is not None:
        found = await look_up(missing)
        for k in missing:
            # Not found: deleted since, so neither watched nor started.
            state = found.get(k) or ([0, 0], UserDataRecord(remote_id=k, type=item_type))
            known[k] = looked[k] = state
    proposal = dict(watch)
    records: dict[str, UserDataRecord] = {}
    unsure: set[int] = set()
    for k in candidates:
        if k in known:
            entry, records[k] = known[k]
        else:  # gone from every listed set it was in
            entry = [0 if n in listed else v for n, v in enumerate(watch.get(k, [0, 0]))]
            unsure.update(n for n, v in enumerate(entry) if v)
            records[k] = UserDataRecord(remote_id=k, type=item_type)
        if entry[WATCHED] or entry[STARTED]:
            proposal[k] = entry
        else:
            proposal.pop(k, None)
    return proposal, records, unsure


def _holds(entry: list[int] | None, n: int) -> bool:
    return entry is not None and entry[n] != 0
