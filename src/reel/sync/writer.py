"""Chunked bulk writes of one source's listing into the catalog, inside the caller's
transaction.

The writer loads the source's `(type, remote_id) → (id, content_hash)` map once, so each
record costs a dict lookup and a hash; only new or changed rows reach the database, as
executemany inserts and updates per chunk. Deletions are mark-and-sweep: `finish` removes
what was not seen, only for the item types the adapter declared complete, and only after
the listing ended — a listing that fails never gets that far, so it never deletes.

It is synchronous on purpose: the engine runs it on one worker thread while the event loop
fetches and decodes the next page.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

import msgspec
from sqlalchemy import Connection, bindparam, delete, exists, func, insert, select, text, update

from reel.catalog.models import Base
from reel.catalog.rows import item_row
from reel.catalog.types import utcnow
from reel.sources.records import (
    CategoryRecord,
    ItemRecord,
    LibraryRecord,
    ListingPage,
    ProgrammeRecord,
    UserDataRecord,
)
from reel.sync.changes import ChunkChanges, SyncCounts
from reel.sync.fts import FtsBulkLoader
from reel.sync.userdata import apply_user_data

log = logging.getLogger(__name__)

ITEMS = Base.metadata.tables["items"]
ITEM_GENRES = Base.metadata.tables["item_genres"]
LIBRARIES = Base.metadata.tables["libraries"]
CATEGORIES = Base.metadata.tables["categories"]
PROGRAMMES = Base.metadata.tables["programmes"]

# Parents are written before their children so a child finds its parent's id in the map.
TYPE_RANK = {"show": 0, "season": 1, "episode": 2, "movie": 3, "channel": 4}
PARENT_TYPES: dict[str, tuple[str, ...]] = {"season": ("show",), "episode": ("season", "show")}
DEFAULT_PARENT_TYPES = ("show", "season", "movie")
CATEGORY_KIND = {
    "channel": "live",
    "movie": "vod",
    "show": "series",
    "season": "series",
    "episode": "series",
}
IN_LIST = 500  # ids per `IN (...)`, well under every driver's parameter limit
GENRE_MAX = 100
BULK_FTS_MIN = 200  # inserts in one batch that make bulk FTS indexing worth it

Key = tuple[str, str]
T = TypeVar("T")
_encoder = msgspec.msgpack.Encoder(order="deterministic")


def row_hash(record: ItemRecord, library_id: int | None, category_id: int | None) -> str:
    """The record's digest plus the keys it resolved to, so a re-created category rewrites."""
    digest = hashlib.blake2b(_encoder.encode(record), digest_size=16)
    digest.update(f"|{library_id}|{category_id}".encode())
    return digest.hexdigest()


def chunked(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class CatalogWriter:
    """Applies listing pages for one source; the caller owns the transaction."""

    def __init__(
        self,
        conn: Connection,
        source_id: int,
        *,
        chunk_size: int = 2000,
        on_chunk: Callable[[ChunkChanges], None] | None = None,
        scope_parent_id: int | None = None,
        user_id: Callable[[Connection], int] | None = None,
        prune_programmes_before: datetime | None = None,
    ) -> None:
        self.conn = conn
        self.source_id = source_id
        self.chunk_size = chunk_size
        self.on_chunk = on_chunk
        self.scope_parent_id = scope_parent_id
        self._user_id = user_id
        self.prune_programmes_before = prune_programmes_before
        self.now = utcnow()
        self.counts = SyncCounts()
        self.records_seen = 0
        self.existing: dict[Key, tuple[int, str]] = {}
        self.seen: set[Key] = set()
        self.libraries: dict[str, tuple[int, str, str]] = {}
        self.seen_libraries: set[str] = set()
        self.categories: dict[Key, tuple[int, str]] = {}
        self.categories_by_remote: dict[str, int] = {}
        self.seen_categories: set[Key] = set()
        self.pending_parents: list[tuple[Key, str]] = []
        self.user_data: list[UserDataRecord] = []
        self.programmes_replaced = False
        self.watch_changed: list[int] = []
        self.watch_user_id: int | None = None
        self._next_id: int | None = None
        self.fts = FtsBulkLoader(conn)

    # -- loading -----------------------------------------------------------------------

    def load(self) -> None:
        """Read what the catalog holds for this source (or for one parent's subtree)."""
        cols = (ITEMS.c.id, ITEMS.c.type, ITEMS.c.remote_id, ITEMS.c.content_hash)
        if self.scope_parent_id is None:
            rows: Iterable[Any] = self.conn.execute(
                select(*cols).where(ITEMS.c.source_id == self.source_id)
            )
        else:
            rows = self._subtree(self.scope_parent_id, cols)
        self.existing = {(r.type, r.remote_id): (r.id, r.content_hash) for r in rows}
        for lib in self.conn.execute(
            select(
                LIBRARIES.c.id, LIBRARIES.c.remote_id, LIBRARIES.c.title, LIBRARIES.c.kind
            ).where(LIBRARIES.c.source_id == self.source_id)
        ):
            self.libraries[lib.remote_id] = (lib.id, lib.title, lib.kind)
        for cat in self.conn.execute(
            select(
                CATEGORIES.c.id, CATEGORIES.c.kind, CATEGORIES.c.remote_id, CATEGORIES.c.name
            ).where(CATEGORIES.c.source_id == self.source_id)
        ):
            self.categories[(cat.kind, cat.remote_id)] = (cat.id, cat.name)
            self.categories_by_remote.setdefault(cat.remote_id, cat.id)

    def _subtree(self, parent_id: int, cols: tuple[Any, ...]) -> list[Any]:
        rows = list(self.conn.execute(select(*cols).where(ITEMS.c.id == parent_id)))
        frontier = [parent_id]
        while frontier:
            level: list[Any] = []
            for part in chunked(frontier, IN_LIST):
                level.extend(self.conn.execute(select(*cols).where(ITEMS.c.parent_id.in_(part))))
            rows.extend(level)
            frontier = [r.id for r in level]
        return rows

    # -- pages -------------------------------------------------------------------------

    def write_page(self, page: ListingPage) -> None:
        """Apply one page: taxonomy first, then items in chunks, guide, watch state later."""
        if page.libraries:
            self._upsert_libraries(page.libraries)
        if page.categories:
            self._upsert_categories(page.categories)
        for item_type, remote_ids in page.present_ids.items():
            self.seen.update((item_type, rid) for rid in remote_ids)
        if page.items:
            records = sorted(page.items, key=lambda r: TYPE_RANK.get(r.type, 9))
            for part in chunked(records, self.chunk_size):
                self._write_chunk(part)
        if page.programmes:
            self._write_programmes(page.programmes)
        if page.user_data:
            self.user_data.extend(page.user_data)

    def _upsert_libraries(self, records: list[LibraryRecord]) -> None:
        for rec in records:
            self.seen_libraries.add(rec.remote_id)
            known = self.libraries.get(rec.remote_id)
            if known is None:
                new_id = self.conn.execute(
                    insert(LIBRARIES)
                    .values(
                        source_id=self.source_id,
                        remote_id=rec.remote_id,
                        title=rec.title,
                        kind=rec.kind,
                    )
                    .returning(LIBRARIES.c.id)
                ).scalar_one()
                self.libraries[rec.remote_id] = (new_id, rec.title, rec.kind)
            elif known[1:] != (rec.title, rec.kind):
                self.conn.execute(
                    update(LIBRARIES)
                    .where(LIBRARIES.c.id == known[0])
                    .values(title=rec.title, kind=rec.kind)
                )
                self.libraries[rec.remote_id] = (known[0], rec.title, rec.kind)

    def _upsert_categories(self, records: list[CategoryRecord]) -> None:
        for rec in records:
            key = (rec.kind, rec.remote_id)
            self.seen_categories.add(key)
            known = self.categories.get(key)
            if known is None:
                new_id = self.conn.execute(
                    insert(CATEGORIES)
                    .values(
                        source_id=self.source_id,
                        kind=rec.kind,
                        remote_id=rec.remote_id,
                        name=rec.name,
                    )
                    .returning(CATEGORIES.c.id)
                ).scalar_one()
                self.categories[key] = (new_id, rec.name)
                self.categories_by_remote.setdefault(rec.remote_id, new_id)
            elif known[1] != rec.name:
                self.conn.execute(
                    update(CATEGORIES).where(CATEGORIES.c.id == known[0]).values(name=rec.name)
                )
                self.categories[key] = (known[0], rec.name)

    def _category_id(self, rec: ItemRecord) -> int | None:
        if rec.category_remote_id is None:
            return None
        kind = CATEGORY_KIND.get(rec.type, "")
        known = self.categories.get((kind, rec.category_remote_id))
        if known is not None:
            return known[0]
        return self.categories_by_remote.get(rec.category_remote_id)

    def _parent_id(self, item_type: str, parent_remote_id: str | None) -> int | None:
        if parent_remote_id is None:
            return None
        for parent_type in PARENT_TYPES.get(item_type, DEFAULT_PARENT_TYPES):
            found = self.existing.get((parent_type, parent_remote_id))
            if found is not None:
                return found[0]
        return None

    def _write_chunk(self, records: Sequence[ItemRecord]) -> None:
        changes = ChunkChanges()
        if self.scope_parent_id is not None:
            self._lookup_unknown(records)
        group: list[ItemRecord] = []
        for rec in records:
            if group and group[-1].type != rec.type:
                self._write_group(group, changes)
                group = []
            group.append(rec)
        if group:
            self._write_group(group, changes)
        self.records_seen += len(records)
        self._emit(changes)

    def _write_group(self, records: list[ItemRecord], changes: ChunkChanges) -> None:
        """One item type of a chunk: its parents are already written."""
        inserts: list[dict[str, Any]] = []
        inserted: list[ItemRecord] = []
        updates: dict[frozenset[str], list[dict[str, Any]]] = {}
        updated: list[tuple[int, ItemRecord]] = []
        for rec in records:
            key = (rec.type, rec.remote_id)
            if key in self.seen:  # listed twice: the first listing wins
                continue
            self.seen.add(key)
            library = self.libraries.get(rec.library_remote_id) if rec.library_remote_id else None
            library_id = library[0] if library else None
            category_id = self._category_id(rec)
            digest = row_hash(rec, library_id, category_id)
            found = self.existing.get(key)
            if found is not None and found[1] == digest:
                self.counts.unchanged += 1
                continue
            parent_id = self._parent_id(rec.type, rec.parent_remote_id)
            if rec.parent_remote_id is not None and parent_id is None:
                self.pending_parents.append((key, rec.parent_remote_id))
            row = item_row(
                rec,
                source_id=self.source_id,
                library_id=library_id,
                category_id=category_id,
                parent_id=parent_id,
                now=self.now,
                hash_=digest,
            )
            if found is None:
                inserts.append(row)
                inserted.append(rec)
                continue
            for column in ("source_id", "remote_id", "type", "created_at"):
                del row[column]
            if rec.added_at is None:  # keep the first-seen date
                del row["added_at"]
            row["b_id"] = found[0]
            updates.setdefault(frozenset(row), []).append(row)
            updated.append((found[0], rec))
            self.existing[key] = (found[0], digest)
        if inserts:
            new_ids = self._allocate_ids(len(inserts))
            for row, new_id in zip(inserts, new_ids, strict=True):
                row["id"] = new_id
            if len(inserts) >= BULK_FTS_MIN:
                self.fts.start()
            self.conn.execute(insert(ITEMS), inserts)
            if self.fts.active:
                self.fts.index(new_ids[0], new_ids[-1])
            for rec, row, new_id in zip(inserted, inserts, new_ids, strict=True):
                self.existing[(rec.type, rec.remote_id)] = (new_id, row["content_hash"])
                changes.add("created", rec.type, new_id)
            self._insert_genres(zip(new_ids, inserted, strict=True))
        if updates:
            stmt = update(ITEMS).where(ITEMS.c.id == bindparam("b_id"))
            for rows in updates.values():
                self.conn.execute(stmt, rows)
            for item_id, rec in updated:
                changes.add("updated", rec.type, item_id)
            ids = [item_id for item_id, _ in updated]
            for part in chunked(ids, IN_LIST):
                self.conn.execute(delete(ITEM_GENRES).where(ITEM_GENRES.c.item_id.in_(part)))
            self._insert_genres(updated)

    def _allocate_ids(self, count: int) -> list[int]:
        """Ids for new rows, known before the insert so it needs no RETURNING.

        (SQLite cannot promise RETURNING order for a multi-row insert, which makes
        SQLAlchemy fall back to one statement per row.) PostgreSQL hands out a block from
        the sequence; on SQLite the transaction holds the write lock from its first
        statement, so counting up from the current maximum cannot collide.
        """
        if self.conn.dialect.name == "postgresql":
            return list(
                self.conn.execute(
                    text(
                        "SELECT nextval(pg_get_serial_sequence('items', 'id')) "
                        "FROM generate_series(1, :n)"
                    ),
                    {"n": count},
                ).scalars()
            )
        if self._next_id is None:
            self._next_id = (self.conn.execute(select(func.max(ITEMS.c.id))).scalar() or 0) + 1
        first, self._next_id = self._next_id, self._next_id + count
        return list(range(first, first + count))

    def _insert_genres(self, pairs: Iterable[tuple[int, ItemRecord]]) -> None:
        rows: list[dict[str, Any]] = []
        for item_id, rec in pairs:
            names = {g.strip()[:GENRE_MAX] for g in rec.genres}
            rows.extend({"item_id": item_id, "genre": g} for g in names if g)
        if rows:
            self.conn.execute(insert(ITEM_GENRES), rows)

    def _lookup_unknown(self, records: Sequence[ItemRecord]) -> None:
        """Scoped writes (one parent's children) still must not duplicate a row elsewhere."""
        unknown: dict[str, list[str]] = {}
        for rec in records:
            if (rec.type, rec.remote_id) not in self.existing:
                unknown.setdefault(rec.type, []).append(rec.remote_id)
        for item_type, remote_ids in unknown.items():
            for part in chunked(remote_ids, IN_LIST):
                for r in self.conn.execute(
                    select(ITEMS.c.id, ITEMS.c.remote_id, ITEMS.c.content_hash).where(
                        ITEMS.c.source_id == self.source_id,
                        ITEMS.c.type == item_type,
                        ITEMS.c.remote_id.in_(part),
                    )
                ):
                    self.existing[(item_type, r.remote_id)] = (r.id, r.content_hash)

    def _write_programmes(self, records: list[ProgrammeRecord]) -> None:
        """The guide is replaced whole: the first page of programmes clears the old ones."""
        if not self.programmes_replaced:
            self.conn.execute(delete(PROGRAMMES).where(PROGRAMMES.c.source_id == self.source_id))
            self.programmes_replaced = True
        cutoff = self.prune_programmes_before
        rows = [
            {
                "source_id": self.source_id,
                "channel_key": p.channel_key,
                "start": p.start,
                "stop": p.stop,
                "title": p.title,
                "description": p.description,
            }
            for p in records
            if cutoff is None or p.stop >= cutoff
        ]
        for part in chunked(rows, self.chunk_size):
            self.conn.execute(insert(PROGRAMMES), list(part))

    def _emit(self, changes: ChunkChanges) -> None:
        self.counts.absorb(changes)
        if self.on_chunk is not None and not changes.empty:
            self.on_chunk(changes)

    # -- end of listing ----------------------------------------------------------------

    def finish(self, complete_types: Iterable[str]) -> None:
        """After a completed listing: link late parents, watch state, then sweep."""
        self._resolve_pending_parents()
        if self.user_data and self._user_id is not None:
            self.watch_user_id = self._user_id(self.conn)
            self.watch_changed = apply_user_data(
                self.conn, self.watch_user_id, self.user_data, self.existing
            )
        self.fts.finish()
        self._sweep(set(complete_types))
        if self.scope_parent_id is None:
            self._sweep_taxonomy()
            if self.prune_programmes_before is not None:
                self.conn.execute(
                    delete(PROGRAMMES).where(
                        PROGRAMMES.c.source_id == self.source_id,
                        PROGRAMMES.c.stop < self.prune_programmes_before,
                    )
                )

    def _resolve_pending_parents(self) -> None:
        rows: list[dict[str, int]] = []
        for key, parent_remote_id in self.pending_parents:
            parent_id = self._parent_id(key[0], parent_remote_id)
            if parent_id is not None:
                rows.append({"b_id": self.existing[key][0], "parent_id": parent_id})
        if rows:
            self.conn.execute(update(ITEMS).where(ITEMS.c.id == bindparam("b_id")), rows)

    def _sweep(self, complete: set[str]) -> None:
        """Delete unseen items of complete types, children before parents."""
        doomed: dict[int, str] = {
            item_id: key[0]
            for key, (item_id, _) in self.existing.items()
            if key[0] in complete and key not in self.seen and item_id != self.scope_parent_id
        }
        if not doomed:
            return
        levels = [list(doomed)]
        while levels[-1]:
            level: list[int] = []
            for part in chunked(levels[-1], IN_LIST):
                for r in self.conn.execute(
                    select(ITEMS.c.id, ITEMS.c.type).where(ITEMS.c.parent_id.in_(part))
                ):
                    if r.id not in doomed:
                        doomed[r.id] = r.type
                        level.append(r.id)
            levels.append(level)
        for level in reversed(levels):
            for part in chunked(level, IN_LIST):
                self.conn.execute(delete(ITEMS).where(ITEMS.c.id.in_(part)))
        gone = set(doomed)
        self.existing = {k: v for k, v in self.existing.items() if v[0] not in gone}
        ordered = sorted(doomed.items())
        for batch in chunked(ordered, self.chunk_size):
            changes = ChunkChanges()
            for item_id, item_type in batch:
                changes.add("deleted", item_type, item_id)
            self._emit(changes)
        log.info("source %s: swept %d items", self.source_id, len(doomed))

    def _sweep_taxonomy(self) -> None:
        """Drop libraries/categories the listing no longer names once nothing points at them.

        Only kinds the listing actually listed are considered, so an incremental listing
        that skips categories keeps them.
        """
        listed_kinds = {kind for kind, _ in self.seen_categories}
        stale_categories = [
            cat_id
            for key, (cat_id, _) in self.categories.items()
            if key[0] in listed_kinds and key not in self.seen_categories
        ]
        for part in chunked(stale_categories, IN_LIST):
            self.conn.execute(
                delete(CATEGORIES).where(
                    CATEGORIES.c.id.in_(part),
                    ~exists().where(ITEMS.c.category_id == CATEGORIES.c.id),
                )
            )
        if self.seen_libraries:
            stale_libraries = [
                lib_id
                for rid, (lib_id, _, _) in self.libraries.items()
                if rid not in self.seen_libraries
            ]
            for part in chunked(stale_libraries, IN_LIST):
                self.conn.execute(
                    delete(LIBRARIES).where(
                        LIBRARIES.c.id.in_(part),
                        ~exists().where(ITEMS.c.library_id == LIBRARIES.c.id),
                    )
                )
