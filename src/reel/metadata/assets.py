"""The content-addressed asset store: artwork kept once per content, counted by its uses.

A blob lives at `<assets>/ab/cd/<sha256>.<ext>`; the `assets` table lists blobs and
`asset_refs` their uses (item, role). The refcount is the number of refs, counted by
the database rather than kept in a column, so it can never drift. An item that is
deleted takes its refs with it (cascade); `collect()` removes blobs nobody uses.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from sqlalchemy import Connection, delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from reel.catalog.models import Base

log = logging.getLogger(__name__)

ASSETS = Base.metadata.tables["assets"]
REFS = Base.metadata.tables["asset_refs"]
_MAGIC = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF8", "gif"))


def sniff_ext(data: bytes, fallback: str = "jpg") -> str:
    """The file type from its first bytes (servers mislabel images)."""
    for magic, ext in _MAGIC:
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return fallback


class AssetStore:
    """Blobs on disk under `root`, bookkeeping in the caller's transaction."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str, ext: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}.{ext}"

    def _write(self, path: Path, data: bytes) -> None:
        if path.exists() and path.stat().st_size == len(data):
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put(self, conn: Connection, data: bytes, source_url: str | None = None) -> int:
        """Store `data` (once per content) and return its asset id."""
        sha = hashlib.sha256(data).hexdigest()
        ext = sniff_ext(data)
        self._write(self.path_of(sha, ext), data)
        found = conn.execute(select(ASSETS.c.id).where(ASSETS.c.sha256 == sha)).scalar()
        if found is not None:
            return int(found)
        try:
            with conn.begin_nested():
                new_id = conn.execute(
                    insert(ASSETS)
                    .values(sha256=sha, ext=ext, size=len(data), source_url=source_url)
                    .returning(ASSETS.c.id)
                ).scalar_one()
        except IntegrityError:  # stored by another writer meanwhile
            new_id = conn.execute(select(ASSETS.c.id).where(ASSETS.c.sha256 == sha)).scalar_one()
        return int(new_id)

    def ref(self, conn: Connection, item_id: int, role: str, asset_id: int) -> None:
        """Point (item, role) at an asset, replacing what it pointed at before."""
        done = conn.execute(
            update(REFS)
            .where(REFS.c.item_id == item_id, REFS.c.role == role)
            .values(asset_id=asset_id)
        )
        if not done.rowcount:
            conn.execute(insert(REFS).values(item_id=item_id, role=role, asset_id=asset_id))

    def file_for(self, conn: Connection, item_id: int, role: str) -> Path | None:
        """The blob an item uses for a role, if stored and still on disk."""
        row = conn.execute(
            select(ASSETS.c.sha256, ASSETS.c.ext)
            .join(REFS, REFS.c.asset_id == ASSETS.c.id)
            .where(REFS.c.item_id == item_id, REFS.c.role == role)
        ).first()
        if row is None:
            return None
        path = self.path_of(row.sha256, row.ext)
        return path if path.exists() else None

    @staticmethod
    def refcount(conn: Connection, asset_id: int) -> int:
        return int(
            conn.execute(
                select(func.count()).select_from(REFS).where(REFS.c.asset_id == asset_id)
            ).scalar_one()
        )

    def collect(self, conn: Connection) -> int:
        """Delete assets no item uses, rows and files; returns how many."""
        unused = conn.execute(
            select(ASSETS.c.id, ASSETS.c.sha256, ASSETS.c.ext).where(
                ~exists().where(REFS.c.asset_id == ASSETS.c.id)
            )
        ).all()
        for row in unused:
            conn.execute(delete(ASSETS).where(ASSETS.c.id == row.id))
            self.path_of(row.sha256, row.ext).unlink(missing_ok=True)
        if unused:
            log.info("asset store: collected %d unused assets", len(unused))
        return len(unused)
