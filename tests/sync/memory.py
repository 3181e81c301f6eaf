"""A SourceAdapter that serves a listing held in memory, with switchable failures.

A legitimate test double of the adapter interface (not of any server): it lets the
engine's tests control page boundaries, completeness, ordering and faults exactly.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from reel.sources.base import Capabilities, ListingContext, SourceAdapter, SourceConfig, TestResult
from reel.sources.errors import InvalidAuth
from reel.sources.records import (
    ITEM_TYPES,
    CategoryRecord,
    ItemRecord,
    LibraryRecord,
    ListingPage,
    ProgrammeRecord,
)

KIND = "memory"
MODULE = "tests.sync.memory:MemoryAdapter"


@dataclass
class Scenario:
    """What the adapter serves next; tests mutate it between syncs."""

    pages: list[ListingPage] = field(default_factory=list)
    complete: set[str] = field(default_factory=lambda: {*ITEM_TYPES, "programme"})
    fail_after: int | None = None  # raise `error` after yielding this many pages
    error: BaseException | None = None
    block_after: int | None = None  # wait forever after this many pages
    blocked: asyncio.Event | None = None
    children: dict[str, list[ListingPage]] = field(default_factory=dict)
    children_complete: set[str] = field(default_factory=lambda: {"season", "episode"})
    contexts: list[ListingContext] = field(default_factory=list)
    state_update: dict[str, Any] = field(default_factory=dict)
    setup_error: BaseException | None = None


SCENARIOS: dict[str, Scenario] = {}


class MemoryAdapter(SourceAdapter):
    kind: ClassVar[str] = KIND
    capabilities: ClassVar[Capabilities] = Capabilities(incremental=True, children_on_demand=True)

    @property
    def scenario(self) -> Scenario:
        return SCENARIOS[self.config.settings["scenario"]]

    async def setup(self) -> SourceConfig:
        if self.scenario.setup_error is not None:
            raise self.scenario.setup_error
        secrets = dict(self.config.secrets)
        password = secrets.pop("password", None)
        if password == "wrong":
            raise InvalidAuth("the server refused the username or password")
        if password:
            secrets["token"] = f"tok-{password[::-1]}"
        return SourceConfig(self.config.name, self.kind, dict(self.config.settings), secrets)

    async def test(self) -> TestResult:
        ok = bool(self.config.secrets.get("token"))
        return TestResult(True, ok, "signed in" if ok else "no token", {"account": "demo"}, 1.5)

    async def listing(self, ctx: ListingContext) -> AsyncIterator[ListingPage]:
        sc = self.scenario
        snapshot = copy.copy(ctx)
        snapshot.state = copy.deepcopy(ctx.state)
        sc.contexts.append(snapshot)
        for index, page in enumerate(sc.pages):
            if sc.fail_after is not None and index == sc.fail_after:
                assert sc.error is not None
                raise sc.error
            if sc.block_after is not None and index == sc.block_after:
                assert sc.blocked is not None
                sc.blocked.set()
                await asyncio.Event().wait()
            ctx.report("items", index + 1, len(sc.pages))
            yield page
            await asyncio.sleep(0)
        if sc.fail_after is not None and sc.fail_after >= len(sc.pages):
            assert sc.error is not None
            raise sc.error
        ctx.state.update(sc.state_update)
        ctx.complete_types.update(sc.complete)

    async def children(self, remote_id: str, ctx: ListingContext) -> AsyncIterator[ListingPage]:
        for page in self.scenario.children.get(remote_id, []):
            yield page
        ctx.complete_types.update(self.scenario.children_complete)


BASE_TIME = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def catalog(
    movies: int = 30,
    shows: int = 4,
    seasons: int = 2,
    episodes: int = 3,
    channels: int = 10,
    page_size: int = 25,
    programmes: int = 0,
) -> list[ListingPage]:
    """A small deterministic catalog split into pages (taxonomy in the first page)."""
    items: list[ItemRecord] = []
    for i in range(movies):
        items.append(
            ItemRecord(
                remote_id=f"m{i}",
                type="movie",
                title=f"Movie Number {i}",
                library_remote_id="vod",
                category_remote_id=f"v{i % 3}",
                year=1990 + i % 30,
                genres=["Drama", "Comedy"][: 1 + i % 2],
                ids={"tmdb": str(1000 + i)},
                added_at=BASE_TIME + timedelta(minutes=i),
            )
        )
    for s in range(shows):
        items.append(
            ItemRecord(
                remote_id=f"s{s}",
                type="show",
                title=f"Show {s}",
                library_remote_id="series",
                category_remote_id="c0",
            )
        )
        for n in range(1, seasons + 1):
            items.append(
                ItemRecord(
                    remote_id=f"s{s}n{n}",
                    type="season",
                    title=f"Season {n}",
                    parent_remote_id=f"s{s}",
                    season=n,
                )
            )
            for e in range(1, episodes + 1):
                items.append(
                    ItemRecord(
                        remote_id=f"s{s}n{n}e{e}",
                        type="episode",
                        title=f"Episode {e}",
                        parent_remote_id=f"s{s}n{n}",
                        season=n,
                        episode=e,
                    )
                )
    for c in range(channels):
        items.append(
            ItemRecord(
                remote_id=f"ch{c}",
                type="channel",
                title=f"Channel {c}",
                library_remote_id="live",
                category_remote_id=f"l{c % 2}",
                epg_id=f"epg{c}",
                channel_number=c + 1,
            )
        )
    first = ListingPage(
        libraries=[
            LibraryRecord("vod", "Films", "movies"),
            LibraryRecord("series", "Series", "shows"),
            LibraryRecord("live", "Live TV", "live"),
        ],
        categories=[CategoryRecord(f"v{i}", "vod", f"VOD {i}") for i in range(3)]
        + [
            CategoryRecord("c0", "series", "Series A"),
            CategoryRecord("l0", "live", "News"),
            CategoryRecord("l1", "live", "Sport"),
        ],
    )
    pages = [first]
    for start in range(0, len(items), page_size):
        pages.append(ListingPage(items=items[start : start + page_size]))
    if programmes:
        now = datetime.now(UTC).replace(microsecond=0)
        pages.append(
            ListingPage(
                programmes=[
                    ProgrammeRecord(
                        f"epg{p % channels}",
                        now + timedelta(hours=p),
                        now + timedelta(hours=p + 1),
                        f"Show at {p}",
                    )
                    for p in range(programmes)
                ]
            )
        )
    return pages
