"""The sync engine against the in-memory adapter, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from reel.catalog.db import Database
from reel.catalog.models import SyncRun
from reel.catalog.search import SearchQuery, search
from reel.events.bus import EventBus
from reel.events.types import ItemsChanged, SourceStatusChanged, SyncCompleted, SyncStarted
from reel.services.sources import SourceService
from reel.sources.errors import BadResponse, CannotConnect, InvalidAuth
from reel.sources.records import (
    ITEM_TYPES,
    ItemRecord,
    ListingPage,
    ProgrammeRecord,
    UserDataRecord,
)
from reel.sync.engine import SyncEngine
from tests.sync import memory
from tests.sync.conftest import add_source, dump, items

TOTAL = {"movie": 30, "show": 4, "season": 8, "episode": 24, "channel": 10}


def run_rows(db: Database) -> list[tuple[str, str, str | None]]:
    with db.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(text("SELECT kind, status, error FROM sync_runs ORDER BY id"))
        ]


def source_row(db: Database, name: str = "demo") -> tuple[str, str | None, object]:
    with db.engine.connect() as conn:
        r = conn.execute(
            text("SELECT status, last_error, last_sync_at FROM sources WHERE name = :n"),
            {"n": name},
        ).one()
    return r.status, r.last_error, r.last_sync_at


async def test_full_sync_writes_everything(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    await add_source(service)
    result = await engine.sync("demo")
    assert result.status == "ok", result.error
    assert result.added == TOTAL
    assert result.updated == {} and result.removed == {}
    rows = items(db)
    assert {t: sum(1 for k in rows if k[0] == t) for t in TOTAL} == TOTAL
    # parents resolved: episode → season → show
    ep = rows[("episode", "s1n2e3")]
    season = rows[("season", "s1n2")]
    assert ep.parent_id == season.id and season.parent_id == rows[("show", "s1")].id
    assert ep.season == 2 and ep.episode == 3
    movie = rows[("movie", "m4")]
    assert movie.tmdb_id == "1004" and movie.search_title == "movie number 4"
    with db.engine.connect() as conn:
        cat = conn.execute(
            text("SELECT kind, remote_id FROM categories WHERE id = :i"), {"i": movie.category_id}
        ).one()
        lib = conn.execute(
            text("SELECT kind FROM libraries WHERE id = :i"), {"i": movie.library_id}
        ).scalar()
        genres = conn.execute(
            text("SELECT genre FROM item_genres WHERE item_id = :i ORDER BY genre"),
            {"i": rows[("movie", "m1")].id},
        ).scalars()
        assert list(genres) == ["Comedy", "Drama"]
    assert tuple(cat) == ("vod", "v1") and lib == "movies"
    assert source_row(db)[:2] == ("ok", None)
    assert run_rows(db) == [("full", "ok", None)]
    assert service.get("demo").counts == TOTAL


async def test_unchanged_resync_writes_nothing(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    await add_source(service)
    await engine.sync("demo")
    before = dump(db)
    again = await engine.sync("demo")
    assert (again.status, again.added, again.updated, again.removed) == ("ok", {}, {}, {})
    assert dump(db) == before  # not even modified_at moved


async def test_changes_are_applied_and_ids_stay_stable(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    sc = await add_source(service)
    await engine.sync("demo")
    first = items(db)
    listed = [r for p in sc.pages for r in p.items]
    by_key = {(r.type, r.remote_id): r for r in listed}
    by_key[("movie", "m1")].title = "Renamed Film"  # rename
    by_key[("movie", "m2")].category_remote_id = "v0"  # recategorise
    listed = [r for r in listed if r.remote_id not in ("m3", "s2")]  # remove (s2 cascades)
    listed.append(ItemRecord(remote_id="m99", type="movie", title="Brand New"))
    sc.pages = [sc.pages[0], ListingPage(items=listed)]
    result = await engine.sync("demo")
    assert result.added == {"movie": 1}
    assert result.updated == {"movie": 2}
    assert result.removed == {"movie": 1, "show": 1, "season": 2, "episode": 6}
    now = items(db)
    assert now[("movie", "m1")].title == "Renamed Film"
    assert now[("movie", "m1")].id == first[("movie", "m1")].id
    assert now[("movie", "m2")].category_id != first[("movie", "m2")].category_id
    assert ("movie", "m3") not in now and ("episode", "s2n1e1") not in now
    assert now[("movie", "m0")].modified_at == first[("movie", "m0")].modified_at
    with db.engine.begin() as conn:
        page = search(
            __import__("sqlalchemy.orm").orm.Session(bind=conn), SearchQuery(text="renamed")
        )
    assert [i.title for i in page.items] == ["Renamed Film"]


async def test_incomplete_types_are_never_swept(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    sc = await add_source(service)
    await engine.sync("demo")
    sc.pages = sc.pages[:2]  # the listing stops early but "completes" nothing
    sc.complete = set()
    result = await engine.sync("demo")
    assert result.status == "ok" and result.removed == {}
    assert len(items(db)) == sum(TOTAL.values())
    # a complete movie listing sweeps movies only, and present ids count as seen
    sc.complete = {"movie"}
    sc.pages = [ListingPage(present_ids={"movie": ["m0", "m1"]})]
    result = await engine.sync("demo")
    assert result.removed == {"movie": 28}
    assert sum(1 for k in items(db) if k[0] == "movie") == 2


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (
            CannotConnect("cannot reach 127.0.0.1:9 (connection refused)"),
            "offline",
            "cannot reach 127.0.0.1:9 (connection refused)",
        ),
        (InvalidAuth(""), "needs_sign_in", "bad credentials for source demo"),
        (
            BadResponse("server returned an HTML page instead of JSON for get_vod_streams"),
            "error",
            "server returned an HTML page instead of JSON for get_vod_streams",
        ),
        (KeyError("boom"), "error", "unexpected error: KeyError: 'boom'"),
    ],
)
@pytest.mark.parametrize("fail_after", [1, 3, 99])
async def test_failure_anywhere_leaves_catalog_exactly_as_before(
    db: Database,
    service: SourceService,
    engine: SyncEngine,
    error: Exception,
    status: str,
    message: str,
    fail_after: int,
) -> None:
    sc = await add_source(service)
    await engine.sync("demo")
    # the next listing would rename, add and remove — but fails part-way
    sc.pages = memory.catalog(movies=20, channels=12)
    sc.pages[1].items[0].title = "Should Not Land"
    before = dump(db)
    sc.fail_after, sc.error = fail_after, error
    result = await engine.sync("demo")
    assert (result.status, result.error) == ("failed", message)
    assert dump(db) == before
    assert source_row(db)[:2] == (status, message)
    assert run_rows(db)[-1] == ("incremental", "failed", message)
    sc.fail_after = None
    assert (await engine.sync("demo")).status == "ok"
    assert source_row(db)[:2] == ("ok", None)


async def test_cancel_mid_sync_rolls_back(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    sc = await add_source(service)
    await engine.sync("demo")
    sc.pages = memory.catalog(movies=50)
    before = dump(db)
    sc.block_after, sc.blocked = 4, asyncio.Event()
    task = asyncio.create_task(engine.sync("demo"))
    await asyncio.wait_for(sc.blocked.wait(), 10)
    await asyncio.sleep(0.05)  # let the pages already fetched be written
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert dump(db) == before
    assert run_rows(db)[-1] == ("incremental", "cancelled", "sync cancelled")
    assert source_row(db)[:2] == ("ok", "sync cancelled")


async def test_events_one_batch_per_chunk(
    db: Database, service: SourceService, engine: SyncEngine, bus: EventBus
) -> None:
    await add_source(service)
    sub = bus.subscribe()
    await engine.sync("demo")
    events = []
    while (ev := sub.get_nowait()) is not None:
        events.append(ev)
    assert isinstance(events[0], SyncStarted)
    assert isinstance(events[-1], SyncCompleted) and events[-1].added == TOTAL
    assert any(isinstance(e, SourceStatusChanged) and e.status == "ok" for e in events)
    # the subscriber's queue merges consecutive batches; what it holds covers every id once
    batches = [e for e in events if isinstance(e, ItemsChanged)]
    created = [i for b in batches for ids in b.created.values() for i in ids]
    assert len(created) == len(set(created)) == sum(TOTAL.values())
    sub.close()


async def test_chunk_events_are_batches_not_items(
    db: Database, service: SourceService, bus: EventBus
) -> None:
    engine = SyncEngine(service, bus, chunk_size=10)
    await add_source(service)
    seen: list[ItemsChanged] = []
    original = bus.publish

    def spy(event: object) -> None:
        if isinstance(event, ItemsChanged):
            seen.append(event)
        original(event)  # type: ignore[arg-type]

    bus.publish = spy  # type: ignore[method-assign]
    await engine.sync("demo")
    # 76 items in pages of 25, 25, 25, 1 → chunks of ≤ 10 within a page: 3 + 3 + 3 + 1
    sizes = [sum(len(v) for v in e.created.values()) for e in seen]
    assert max(sizes) <= 10 and sum(sizes) == sum(TOTAL.values())
    assert len(seen) == 10


async def test_parents_resolved_when_children_come_first(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    sc = await add_source(service)
    listed = [r for p in sc.pages for r in p.items]
    listed.sort(key=lambda r: {"episode": 0, "season": 1, "show": 2}.get(r.type, 3))
    sc.pages = [sc.pages[0]] + [ListingPage(items=listed[i : i + 7]) for i in range(0, 76, 7)]
    await engine.sync("demo")
    rows = items(db)
    assert rows[("episode", "s0n1e1")].parent_id == rows[("season", "s0n1")].id
    assert rows[("season", "s0n1")].parent_id == rows[("show", "s0")].id
    before = dump(db)
    again = await engine.sync("demo")
    assert (again.updated, again.added) == ({}, {})
    assert dump(db) == before


async def test_duplicates_in_listing_first_wins(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    sc = await add_source(service)
    dup = ItemRecord(remote_id="m0", type="movie", title="Second Copy")
    sc.pages.append(ListingPage(items=[dup, dup]))
    result = await engine.sync("demo")
    assert result.status == "ok" and result.added["movie"] == 30
    assert items(db)[("movie", "m0")].title == "Movie Number 0"


async def test_watch_state_and_pending_write_back(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    sc = await add_source(service)
    when = datetime(2024, 6, 1, tzinfo=UTC)
    sc.pages.insert(
        0,
        ListingPage(
            user_data=[
                UserDataRecord("m0", "movie", position_ms=60_000, play_count=0),
                UserDataRecord("m1", "movie", played=True, play_count=2, last_played_at=when),
                UserDataRecord("m2", "movie"),  # nothing to store
                UserDataRecord("gone", "movie", played=True),
            ]
        ),
    )
    await engine.sync("demo")
    rows = items(db)
    q = text("SELECT item_id, position_ms, played, play_count FROM playback_state ORDER BY item_id")
    with db.engine.connect() as conn:
        state = {r.item_id: tuple(r)[1:] for r in conn.execute(q)}
    assert state == {
        rows[("movie", "m0")].id: (60_000, False, 0),
        rows[("movie", "m1")].id: (0, True, 2),
    }
    with db.engine.begin() as conn:  # a local change not yet written back wins
        conn.execute(
            text(
                "UPDATE playback_state SET position_ms = 5, pending_write_back = :t "
                "WHERE item_id = :i"
            ),
            {"i": rows[("movie", "m0")].id, "t": True},
        )
    sc.pages[0] = ListingPage(
        user_data=[
            UserDataRecord("m0", "movie", position_ms=90_000),
            UserDataRecord("m1", "movie", played=False),
        ]
    )
    await engine.sync("demo")
    with db.engine.connect() as conn:
        state = {r.item_id: tuple(r)[1:] for r in conn.execute(q)}
    assert state[rows[("movie", "m0")].id] == (5, False, 0)
    assert state[rows[("movie", "m1")].id] == (0, False, 0)


async def test_a_first_sync_does_not_look_up_watch_state_it_cannot_have(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    """Items created in the sync's own transaction have no watch state yet: the first sync
    stores what the server reports without reading `playback_state`; the next one reads
    it, and a state the server no longer reports is still cleared."""
    sc = await add_source(service)
    sc.pages.insert(
        0, ListingPage(user_data=[UserDataRecord("m1", "movie", played=True, play_count=1)])
    )
    reads: list[str] = []

    def watch(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("SELECT") and "FROM playback_state" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        await engine.sync("demo")
        assert reads == []
        sc.pages[0] = ListingPage(user_data=[UserDataRecord("m1", "movie", played=False)])
        await engine.sync("demo")
        assert len(reads) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    with db.engine.connect() as conn:
        played = conn.execute(text("SELECT played FROM playback_state")).scalars().all()
    assert played == [False]


async def test_programmes_replaced_and_pruned(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    sc = await add_source(service, pages=memory.catalog(programmes=30))
    await engine.sync("demo")
    old = datetime.now(UTC) - timedelta(days=3)
    sc.pages[-1] = ListingPage(
        programmes=[
            ProgrammeRecord("epg1", old, old + timedelta(hours=1), "Long Gone"),
            ProgrammeRecord(
                "epg1", old + timedelta(days=3), old + timedelta(days=3, hours=2), "New"
            ),
        ]
    )
    await engine.sync("demo")
    with db.engine.connect() as conn:
        titles = conn.execute(text("SELECT title FROM programmes")).scalars().all()
    assert titles == ["New"]


async def test_incomplete_guide_keeps_the_old_programmes(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    sc = await add_source(service, pages=memory.catalog(programmes=6))
    await engine.sync("demo")
    with db.engine.connect() as conn:
        before = sorted(conn.execute(text("SELECT title FROM programmes")).scalars())
    assert len(before) == 6
    now = datetime.now(UTC)
    sc.pages[-1] = ListingPage(
        programmes=[ProgrammeRecord("epg1", now, now + timedelta(hours=1), "Half a guide")]
    )
    sc.complete = set(ITEM_TYPES)  # the guide broke off: no "programme"
    assert (await engine.sync("demo")).ok
    with db.engine.connect() as conn:
        after = sorted(conn.execute(text("SELECT title FROM programmes")).scalars())
    assert after == before
    sc.complete.add("programme")
    sc.pages[-1] = ListingPage()  # a whole guide with nothing in it empties ours
    assert (await engine.sync("demo")).ok
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM programmes")).scalar() == 0


async def test_state_saved_only_on_success_and_since_passed(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    sc = await add_source(service)
    sc.state_update = {"cursor": 1}
    await engine.sync("demo")
    assert sc.contexts[-1].since is None and sc.contexts[-1].full
    sc.state_update = {"cursor": 2}
    sc.fail_after, sc.error = 99, CannotConnect("down")
    await engine.sync("demo")
    with db.engine.connect() as conn:
        ok = conn.execute(select(SyncRun.started_at).where(SyncRun.status == "ok")).scalar()
    assert sc.contexts[-1].since == ok
    assert sc.contexts[-1].state == {"cursor": 1}
    sc.fail_after = None
    await engine.sync("demo")
    assert sc.contexts[-1].state == {"cursor": 1}
    await engine.sync("demo", full=True)
    assert sc.contexts[-1].since is None and sc.contexts[-1].state == {"cursor": 2}


async def test_one_failing_source_does_not_stop_others(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    await add_source(service, "a")
    await add_source(service, "b", fail_after=1, error=BadResponse("garbage"))
    await add_source(service, "c")
    results = await engine.sync_many()
    assert [(r.name, r.status) for r in results] == [("a", "ok"), ("b", "failed"), ("c", "ok")]
    assert len(items(db, "a")) == len(items(db, "c")) == sum(TOTAL.values())
    assert items(db, "b") == {}


async def test_sync_children_sweeps_only_that_parent(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    from reel.sync.children import ChildrenSync

    sc = await add_source(service)
    await engine.sync("demo")
    show = items(db)[("show", "s1")]
    sc.children["s1"] = [
        ListingPage(
            items=[
                ItemRecord("s1n1", "season", "Season 1", parent_remote_id="s1", season=1),
                ItemRecord(
                    "s1n1e1", "episode", "Pilot", parent_remote_id="s1n1", season=1, episode=1
                ),
                ItemRecord(
                    "s1n1e9", "episode", "Late", parent_remote_id="s1n1", season=1, episode=9
                ),
            ]
        )
    ]
    res = await ChildrenSync(engine).sync_children("demo", show.id)
    assert res.added == {"episode": 1} and res.updated == {"episode": 1}
    assert res.removed == {"season": 1, "episode": 5}
    rows = items(db)
    assert rows[("episode", "s1n1e9")].parent_id == rows[("season", "s1n1")].id
    assert ("season", "s1n2") not in rows and ("season", "s0n2") in rows
    assert engine.parents_with_children([show.id, rows[("movie", "m0")].id]) == [show.id]


async def test_remove_cascades_only_that_source(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    await add_source(service, "keep", pages=memory.catalog(programmes=5))
    await add_source(service, "drop", pages=memory.catalog(programmes=5))
    await engine.sync_many()
    keep_before = {k: v.id for k, v in items(db, "keep").items()}
    service.remove("drop")
    assert items(db, "drop") == {}
    assert {k: v.id for k, v in items(db).items()} == keep_before
    with db.engine.connect() as conn:
        for table in ("libraries", "categories", "programmes", "sync_runs"):
            n = conn.execute(
                text(f"SELECT count(*) FROM {table} t JOIN sources s ON s.id = t.source_id")
            ).scalar_one()
            total = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            assert n == total and n > 0
        if db.dialect == "sqlite":
            conn.execute(text("INSERT INTO items_fts(items_fts) VALUES ('integrity-check')"))
            hits = conn.execute(
                text("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'movie'")
            ).scalar()
            assert hits == 30


async def test_incremental_listing_looks_up_only_what_it_names(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    """An incremental listing of a few changes (no sweep): the writer does not read the
    whole map, yet updates in place, links new children to stored parents, stores watch
    state of items it did not list, and never duplicates a row."""
    sc = await add_source(service)
    await engine.sync("demo", full=True)
    before = items(db)
    listed = {(r.type, r.remote_id): r for p in sc.pages for r in p.items}
    changed = listed[("episode", "s1n2e3")]
    changed.title = "Episode Three, Renamed"
    new = ItemRecord(
        remote_id="s1n2e9", type="episode", title="Late", parent_remote_id="s1n2", season=2
    )
    new_season = ItemRecord(remote_id="s3n7", type="season", title="S7", parent_remote_id="s3")
    sc.pages = [
        ListingPage(items=[changed, new, listed[("movie", "m4")], new_season]),
        ListingPage(user_data=[UserDataRecord("m9", "movie", played=True, play_count=1)]),
    ]
    sc.complete = set()
    result = await engine.sync("demo")
    assert sc.contexts[-1].since is not None and not sc.contexts[-1].known_hashes
    assert result.added == {"episode": 1, "season": 1} and result.updated == {"episode": 1}
    assert result.removed == {}
    now = items(db)
    assert len(now) == len(before) + 2
    assert now[("episode", "s1n2e3")].id == before[("episode", "s1n2e3")].id
    assert now[("episode", "s1n2e3")].title == "Episode Three, Renamed"
    assert now[("episode", "s1n2e9")].parent_id == before[("season", "s1n2")].id
    assert now[("season", "s3n7")].parent_id == before[("show", "s3")].id
    assert now[("movie", "m4")].modified_at == before[("movie", "m4")].modified_at
    with db.engine.connect() as conn:
        played = conn.execute(
            text("SELECT item_id, played FROM playback_state"),
        ).all()
    assert [tuple(r) for r in played] == [(before[("movie", "m9")].id, True)]


def set_columns(statement: str) -> list[str]:
    # `UPDATE … SET … WHERE` (one row a time) or `UPDATE … SET … FROM (VALUES …)` (SQLite)
    assignments = re.split(r" WHERE | FROM \(VALUES ", statement.split(" SET ", 1)[1])[0]
    return sorted(a.split("=")[0].strip() for a in assignments.split(","))


async def test_updates_set_only_the_columns_that_changed(
    db: Database, service: SourceService, engine: SyncEngine
) -> None:
    """Setting a column, even to the value it holds, rewrites the entries of the indexes
    it is in; re-setting `search_text` takes its words out of the full-text index and
    puts them back. An overview-only change sets the overview alone; a rename sets the
    title columns, and search follows the rename; genres are rewritten only when they
    changed."""
    sc = await add_source(service)
    await engine.sync("demo")
    before = items(db)
    records = [r for p in sc.pages for r in p.items]
    listed = {(r.type, r.remote_id): r for r in records}
    listed[("movie", "m5")].overview = "A new overview, same title."
    listed[("movie", "m6")].title = "Quixotic Renamed Film"
    listed[("movie", "m7")].genres = ["Noir"]
    sc.pages = [sc.pages[0], ListingPage(items=records)]
    updates: list[str] = []
    genre_deletes: list[object] = []

    def watch(conn: object, cursor: object, statement: str, params: object, *args: object) -> None:
        if statement.startswith("UPDATE items SET"):
            updates.append(statement)
        if statement.startswith("DELETE FROM item_genres"):
            genre_deletes.append(list(params.values() if isinstance(params, dict) else params))  # type: ignore[arg-type]

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        result = await engine.sync("demo")
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert result.updated == {"movie": 3}
    assert sorted(set_columns(u) for u in updates) == [  # one statement per set of columns
        ["content_hash", "genres", "modified_at"],
        ["content_hash", "modified_at", "overview"],
        ["content_hash", "modified_at", "search_text", "search_title", "sort_key", "title"],
    ]
    assert genre_deletes == [[before[("movie", "m7")].id]]
    now = items(db)
    assert now[("movie", "m5")].overview == "A new overview, same title."
    with db.engine.connect() as conn:
        genres = conn.execute(text("SELECT item_id, genre FROM item_genres")).all()
    by_item: dict[int, set[str]] = {}
    for item_id, genre in genres:
        by_item.setdefault(item_id, set()).add(genre)
    assert by_item[before[("movie", "m7")].id] == {"Noir"}
    assert by_item.get(before[("movie", "m5")].id, set()) == set(listed[("movie", "m5")].genres)
    with Session(db.engine) as session:
        found = search(session, SearchQuery(text="quixotic"))
        assert [i.title for i in found.items] == ["Quixotic Renamed Film"]
        old_title = listed[("movie", "m5")].title
        assert old_title in [i.title for i in search(session, SearchQuery(text=old_title)).items]
