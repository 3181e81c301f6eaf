"""Chunked bulk writes of one source's listing into the catalog, inside the caller's
transaction.

The writer loads the source's `(type, remote_id) → (id, content_hash)` map once, so each
record costs a dict lookup and a hash; only new or changed rows reach the database, as
driver-level bulk inserts and updates per chunk (bulk.py), an update setting only the
columns whose stored value it changes. A record carrying the digest
of its raw server entry (`source_hash`) is hashed by that, and the engine hands the stored
hashes back to the adapter, which then names unchanged entries in `present_ids` without
building records at all. A source's first big load into a small catalog defers the
secondary indexes to the end of the transaction (indexes.py). Deletions are mark-and-sweep:
`finish` removes what was not seen, only for the item types the adapter declared complete,
and only after the listing ended — a listing that fails never gets that far, so it never
deletes (sweep.py). Libraries and categories live in taxonomy.py, the guide in
programmes.py.

It is synchronous on purpose: the engine runs it on one worker thread while the event loop
fetches and decodes the next page.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from typing import Any

import msgspec
from sqlalchemy import Connection, delete, select

from reel.catalog.models import Base
from reel.catalog.rows import ITEM_COLUMNS, item_columns, item_row
from reel.catalog.types import utcnow
from reel.sources.records import ItemRecord, ListingPage, UserDataRecord
from reel.sync.bulk import BulkWriter
from reel.sync.changes import ChunkChanges, SyncCounts
from reel.sync.fts import FtsBulkLoader
from reel.sync.indexes import IndexDeferral
from reel.sync.programmes import COMPLETE, PROGRAMMES, ProgrammeWriter
from reel.sync.sweep import sweep_items
from reel.sync.taxonomy import CATEGORIES, CATEGORY_KIND, LIBRARIES, Taxonomy
from reel.sync.userdata import apply_user_data
from reel.sync.util import IN_LIST, Key, chunked

__all__ = [
    "CATEGORIES",
    "CATEGORY_KIND",
    "ITEMS",
    "ITEM_GENRES",
    "LIBRARIES",
    "PROGRAMMES",
    "CatalogWriter",
    "chunked",
    "row_hash",
]

log = logging.getLogger(__name__)

ITEMS = Base.metadata.tables["items"]
ITEM_GENRES = Base.metadata.tables["item_genres"]

# Parents are written before their children so a child finds its parent's id in the map.
TYPE_RANK = {"show": 0, "season": 1, "episode": 2, "movie": 3, "channel": 4}
PARENT_TYPES: dict[str, tuple[str, ...]] = {"season": ("show",), "episode": ("season", "show")}
DEFAULT_PARENT_TYPES = ("show", "season", "movie")
GENRE_MAX = 100
GENRE_LISTS_MAX = 10_000  # distinct genre lists whose cleaned form is kept
BULK_FTS_MIN = 200  # inserts in one batch that make bulk FTS indexing worth it
UPDATE_DROPS = ("source_id", "remote_id", "type", "created_at")
# What every update sets: the row, its new digest and the time of the change.
ALWAYS_SET = frozenset({"id", "content_hash", "modified_at"})
INSERT_COLUMNS = ("id", *ITEM_COLUMNS)
GENRE_COLUMNS = ("item_id", "genre")

_encoder = msgspec.msgpack.Encoder(order="deterministic")


def row_hash(record: ItemRecord, library_id: int | None, category_id: int | None) -> str:
    """The record's digest plus the keys it resolved to, so a re-created category rewrites."""
    digest = hashlib.blake2b(_encoder.encode(record), digest_size=16)
    digest.update(f"|{library_id}|{category_id}".encode())
    return digest.hexdigest()


@dataclass
class _Inserts:
    """The new rows of a chunk, as records and the keys each resolved to (columns)."""

    records: list[ItemRecord] = field(default_factory=list)
    library_ids: list[int | None] = field(default_factory=list)
    category_ids: list[int | None] = field(default_factory=list)
    parent_ids: list[int | None] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)

    def add(
        self,
        record: ItemRecord,
        library_id: int | None,
        category_id: int | None,
        parent_id: int | None,
        digest: str,
    ) -> None:
        self.records.append(record)
        self.library_ids.append(library_id)
        self.category_ids.append(category_id)
        self.parent_ids.append(parent_id)
        self.hashes.append(digest)


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
        self.taxonomy = Taxonomy(conn, source_id)
        self.lazy = False
        # The source held nothing when the unit began: every row is this unit's own, so
        # none can be stale (no sweep) or have watch state already (no lookup).
        self.started_empty = False
        self.pending_parents: list[tuple[Key, str]] = []
        self.user_data: list[UserDataRecord] = []
        self._genre_lists: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.watch_changed: list[int] = []
        self.watch_user_id: int | None = None
        self.bulk = BulkWriter(conn)
        self.fts = FtsBulkLoader(conn)
        self.indexes = IndexDeferral(conn)
        self.programmes = ProgrammeWriter(
            conn, self.bulk, source_id, prune_programmes_before, chunk_size
        )

    # -- loading -----------------------------------------------------------------------

    def load(self, *, lazy: bool = False) -> None:
        """Read what the catalog holds for this source (or for one parent's subtree).

        `lazy` is for incremental listings, which name a few changed items of a big
        source: instead of the whole `(type, remote_id)` map, the rows each chunk names
        (and their parents) are looked up as they come. The whole map is read after all
        when the listing turns out to need it: present-id pages or a sweep.
        """
        self.lazy = lazy and self.scope_parent_id is None
        if self.lazy:
            self.taxonomy.load()
            return
        self._load_map()
        # Only a source's first load into an empty place defers the indexes.
        if self.scope_parent_id is None and not self.existing:
            self.started_empty = True
            self.indexes.allow()
        self.taxonomy.load()

    def _load_map(self) -> None:
        cols = (ITEMS.c.id, ITEMS.c.type, ITEMS.c.remote_id, ITEMS.c.content_hash)
        if self.scope_parent_id is None:
            rows: Iterable[Any] = self.conn.execute(
                select(*cols).where(ITEMS.c.source_id == self.source_id)
            )
        else:
            rows = self._subtree(self.scope_parent_id, cols)
        self.existing = {(r[1], r[2]): (r[0], r[3]) for r in rows}

    def _load_all(self) -> None:
        """Leave lazy mode: the whole map (rows written so far in this unit included)."""
        if self.lazy:
            self.lazy = False
            self._load_map()

    def known_hashes(self) -> dict[Key, str]:
        """What the adapter may compare its entry digests with (ListingContext.known_hashes)."""
        return {key: found[1] for key, found in self.existing.items()}

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
            self.taxonomy.upsert_libraries(page.libraries)
        if page.categories:
            self.taxonomy.upsert_categories(page.categories)
        if page.present_ids:
            self._load_all()
        for item_type, remote_ids in page.present_ids.items():
            before = len(self.seen)
            self.seen.update([(item_type, rid) for rid in remote_ids])
            self.counts.unchanged += len(self.seen) - before
            self.records_seen += len(remote_ids)
        if page.items:
            records = sorted(page.items, key=lambda r: TYPE_RANK.get(r.type, 9))
            for part in chunked(records, self.chunk_size):
                self._write_chunk(part)
        if page.programmes:
            self.programmes.write(page.programmes)
        if page.user_data:
            self.user_data.extend(page.user_data)

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
        if self.scope_parent_id is not None or self.lazy:
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
        inserts = _Inserts()
        update_rows: list[dict[str, Any]] = []
        updated: list[tuple[int, ItemRecord]] = []
        seen, existing = self.seen, self.existing
        library_id_of, category_id_of = self.taxonomy.library_id, self.taxonomy.category_id
        for rec in records:
            key = (rec.type, rec.remote_id)
            if key in seen:  # listed twice: the first listing wins
                continue
            seen.add(key)
            library_id = library_id_of(rec)
            category_id = category_id_of(rec)
            digest = rec.source_hash or row_hash(rec, library_id, category_id)
            found = existing.get(key)
            if found is not None and found[1] == digest:
                self.counts.unchanged += 1
                continue
            parent_id = self._parent_id(rec.type, rec.parent_remote_id)
            if rec.parent_remote_id is not None and parent_id is None:
                self.pending_parents.append((key, rec.parent_remote_id))
            if found is None:
                inserts.add(rec, library_id, category_id, parent_id, digest)
                continue
            row = item_row(
                rec,
                source_id=self.source_id,
                library_id=library_id,
                category_id=category_id,
                parent_id=parent_id,
                now=self.now,
                hash_=digest,
            )
            for column in UPDATE_DROPS:
                del row[column]
            if rec.added_at is None:  # keep the first-seen date
                del row["added_at"]
            row["id"] = found[0]
            update_rows.append(row)
            updated.append((found[0], rec))
            existing[key] = (found[0], digest)
        if inserts.records:
            self._insert(inserts, changes)
        if update_rows:
            self._leave_unchanged(update_rows)
            updates: dict[frozenset[str], list[dict[str, Any]]] = {}
            for row in update_rows:
                updates.setdefault(frozenset(row), []).append(row)
            for rows in updates.values():
                self.bulk.update(ITEMS, rows)
            for item_id, rec in updated:
                changes.add("updated", rec.type, item_id)
            genres_changed = {row["id"] for row in update_rows if "genres" in row}
            regenred = [(item_id, rec) for item_id, rec in updated if item_id in genres_changed]
            for part in chunked([item_id for item_id, _ in regenred], IN_LIST):
                self.conn.execute(delete(ITEM_GENRES).where(ITEM_GENRES.c.item_id.in_(part)))
            self._insert_genres(regenred)

    def _leave_unchanged(self, rows: list[dict[str, Any]]) -> None:
        """Leave out of each update the columns it would set to the value they hold.

        An UPDATE rewrites the entry of every index whose columns it sets, even to the
        same value, and setting `search_text` fires the full-text trigger, which takes the
        old words out of the index and puts the new ones in. A metadata refresh mostly
        changes a few columns (a title, an overview, a rating), so an update that names
        only those leaves most of the ten indexes of `items` and the full-text index
        alone. The stored values are read once per chunk.
        """
        columns = sorted({c for row in rows for c in row} - ALWAYS_SET)
        stored: dict[int, Any] = {}
        for part in chunked([row["id"] for row in rows], IN_LIST):
            found = self.conn.execute(
                select(ITEMS.c.id, *(ITEMS.c[c] for c in columns)).where(ITEMS.c.id.in_(part))
            )
            stored.update((r[0], r) for r in found)
        for row in rows:
            old = stored.get(row["id"])
            if old is None:
                continue
            for index, column in enumerate(columns, 1):
                if column in row and row[column] == old[index]:
                    del row[column]

    def _insert(self, new: _Inserts, changes: ChunkChanges) -> None:
        """Insert the rows of `new` under new ids."""
        records = new.records
        new_ids = self.bulk.allocate_ids(ITEMS, len(records))
        if len(records) >= BULK_FTS_MIN:
            self.fts.start()
            self.indexes.start()
        columns = item_columns(
            records,
            self.source_id,
            new.library_ids,
            new.category_ids,
            new.parent_ids,
            self.now,
            new.hashes,
        )
        self.bulk.insert_columns(ITEMS, INSERT_COLUMNS, [new_ids, *columns])
        if self.fts.active:
            self.fts.index(new_ids[0], new_ids[-1])
        existing, add = self.existing, changes.add
        for rec, digest, new_id in zip(records, new.hashes, new_ids, strict=True):
            existing[(rec.type, rec.remote_id)] = (new_id, digest)
            add("created", rec.type, new_id)
        self._insert_genres(zip(new_ids, records, strict=True))

    def _insert_genres(self, pairs: Iterable[tuple[int, ItemRecord]]) -> None:
        """`item_genres` rows of the items, as two columns. A library has few distinct
        genre lists, so each is cleaned (trimmed, cut to GENRE_MAX, deduplicated) once."""
        item_ids: list[int] = []
        names: list[str] = []
        cleaned = self._genre_lists
        for item_id, rec in pairs:
            if not rec.genres:
                continue
            key = tuple(rec.genres)
            clean = cleaned.get(key)
            if clean is None:
                found = {g.strip()[:GENRE_MAX] for g in key}
                found.discard("")
                if len(cleaned) >= GENRE_LISTS_MAX:
                    cleaned.clear()
                clean = cleaned[key] = tuple(found)
            item_ids.extend(repeat(item_id, len(clean)))
            names.extend(clean)
        if item_ids:
            self.bulk.insert_columns(ITEM_GENRES, GENRE_COLUMNS, [item_ids, names])

    def _lookup_unknown(self, records: Sequence[ItemRecord]) -> None:
        """Rows of `records` (and, when lazy, their parents) the map does not hold yet.

        Scoped writes (one parent's children) still must not duplicate a row elsewhere;
        lazy writes must find the rows they update and the parents they link to.
        """
        unknown: dict[str, list[str]] = {}
        for rec in records:
            if (rec.type, rec.remote_id) not in self.existing:
                unknown.setdefault(rec.type, []).append(rec.remote_id)
            parent = rec.parent_remote_id
            if self.lazy and parent is not None:
                for parent_type in PARENT_TYPES.get(rec.type, DEFAULT_PARENT_TYPES):
                    if (parent_type, parent) not in self.existing:
                        unknown.setdefault(parent_type, []).append(parent)
        self._lookup(unknown)

    def _lookup(self, unknown: dict[str, list[str]]) -> None:
        for item_type, remote_ids in unknown.items():
            for part in chunked(sorted(set(remote_ids)), IN_LIST):
                for r in self.conn.execute(
                    select(ITEMS.c.id, ITEMS.c.remote_id, ITEMS.c.content_hash).where(
                        ITEMS.c.source_id == self.source_id,
                        ITEMS.c.type == item_type,
                        ITEMS.c.remote_id.in_(part),
                    )
                ):
                    self.existing[(item_type, r.remote_id)] = (r.id, r.content_hash)

    def _emit(self, changes: ChunkChanges) -> None:
        self.counts.absorb(changes)
        if self.on_chunk is not None and not changes.empty:
            self.on_chunk(changes)

    # -- end of listing ----------------------------------------------------------------

    def finish(self, complete_types: Iterable[str]) -> None:
        """After a completed listing: link late parents, watch state, then sweep."""
        self.indexes.finish()
        complete = set(complete_types)
        if complete and self.scope_parent_id is None:
            self._load_all()  # the sweep compares the whole map with what was seen
        self._resolve_pending_parents()
        if self.lazy and self.user_data:  # watch state of items the listing did not name
            wanted: dict[str, list[str]] = {}
            for data in self.user_data:
                if (data.type, data.remote_id) not in self.existing:
                    wanted.setdefault(data.type, []).append(data.remote_id)
            self._lookup(wanted)
        if self.user_data and self._user_id is not None:
            self.watch_user_id = self._user_id(self.conn)
            self.watch_changed = apply_user_data(
                self.conn,
                self.watch_user_id,
                self.user_data,
                self.existing,
                self.bulk,
                all_new=self.started_empty,
            )
        self.fts.finish()
        self._sweep(complete)
        if self.scope_parent_id is None:
            self.taxonomy.sweep()
            self.programmes.finish(COMPLETE in complete)

    def _resolve_pending_parents(self) -> None:
        rows: list[dict[str, int]] = []
        for key, parent_remote_id in self.pending_parents:
            parent_id = self._parent_id(key[0], parent_remote_id)
            if parent_id is not None:
                rows.append({"parent_id": parent_id, "id": self.existing[key][0]})
        self.bulk.update(ITEMS, rows)

    def _sweep(self, complete: set[str]) -> None:
        if self.started_empty:  # everything in the map was written, so seen, just now
            return
        doomed = sweep_items(
            self.conn, self.existing, self.seen, complete, keep=self.scope_parent_id
        )
        if not doomed:
            return
        self.existing = {k: v for k, v in self.existing.items() if v[0] not in doomed}
        for batch in chunked(sorted(doomed.items()), self.chunk_size):
            changes = ChunkChanges()
            for item_id, item_type in batch:
                changes.add("deleted", item_type, item_id)
            self._emit(changes)
        log.info("source %s: swept %d items", self.source_id, len(doomed))
