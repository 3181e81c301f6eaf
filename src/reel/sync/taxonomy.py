"""Libraries and categories of one source: upserted as listed, dropped once unused.

They are few (tens to hundreds) and items point at them, so they are written one by one
before the items of the same page and kept in memory as remote id → internal id maps that
the item rows resolve against.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, exists, insert, select, update

from reel.catalog.models import Base
from reel.sources.records import CategoryRecord, ItemRecord, LibraryRecord
from reel.sync.util import IN_LIST, Key, chunked

ITEMS = Base.metadata.tables["items"]
LIBRARIES = Base.metadata.tables["libraries"]
CATEGORIES = Base.metadata.tables["categories"]

CATEGORY_KIND = {
    "channel": "live",
    "movie": "vod",
    "show": "series",
    "season": "series",
    "episode": "series",
}


class Taxonomy:
    """The libraries and categories of one source, as stored and as listed in this sync."""

    def __init__(self, conn: Connection, source_id: int) -> None:
        self.conn = conn
        self.source_id = source_id
        self.libraries: dict[str, tuple[int, str, str]] = {}
        self.seen_libraries: set[str] = set()
        self.categories: dict[Key, tuple[int, str]] = {}
        self.categories_by_remote: dict[str, int] = {}
        self.seen_categories: set[Key] = set()

    def load(self) -> None:
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

    # -- lookups for item rows ---------------------------------------------------------

    def library_id(self, rec: ItemRecord) -> int | None:
        if rec.library_remote_id is None:
            return None
        known = self.libraries.get(rec.library_remote_id)
        return known[0] if known else None

    def category_id(self, rec: ItemRecord) -> int | None:
        if rec.category_remote_id is None:
            return None
        known = self.categories.get((CATEGORY_KIND.get(rec.type, ""), rec.category_remote_id))
        if known is not None:
            return known[0]
        return self.categories_by_remote.get(rec.category_remote_id)

    # -- upserts -----------------------------------------------------------------------

    def upsert_libraries(self, records: list[LibraryRecord]) -> None:
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

    def upsert_categories(self, records: list[CategoryRecord]) -> None:
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

    # -- end of listing ----------------------------------------------------------------

    def sweep(self) -> None:
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
