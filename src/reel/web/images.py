"""Artwork fetched once from its source and kept in a content-addressed cache.

Blobs live at `<assets>/ab/cd/<sha256>.<ext>`; a small pointer file per (source, ref)
under `<assets>/refs/` names the blob, so identical images shared by many items are stored
once and a cached image is served with no network at all — offline sources keep their
artwork. The cache has a size budget: least recently served blobs (by mtime, touched on
every hit) are evicted first. Only blobs this cache wrote are ever evicted.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from reel.web.threads import in_thread

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 20 * 1024 * 1024
TYPES = {
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/avif": "avif",
}
MIME = {ext: mime for mime, ext in TYPES.items() if mime != "image/jpg"}
MAGIC = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


class ImageUnavailable(Exception):
    """The image is not cached and could not be fetched (its message says why)."""


@dataclass(frozen=True)
class CachedImage:
    path: Path
    sha256: str
    ext: str

    @property
    def content_type(self) -> str:
        return MIME.get(self.ext, "application/octet-stream")


Fetch = Callable[[], Awaitable[tuple[bytes, str | None]]]


def image_ext(body: bytes, content_type: str | None) -> str | None:
    """The file extension for an image body, from its type or its first bytes."""
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime in TYPES:
        return TYPES[mime]
    for magic, ext in MAGIC:
        if body.startswith(magic):
            return ext
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "webp"
    return None


class ImageCache:
    """The cache under `root` with an LRU budget of `budget_bytes`."""

    def __init__(self, root: Path, budget_bytes: int) -> None:
        self.root = root
        self.budget_bytes = budget_bytes
        self._lru: OrderedDict[str, int] | None = None  # blob name -> size, oldest first
        self._total = 0
        self._locks: dict[str, asyncio.Lock] = {}
        self._mutex = threading.RLock()  # lookups and stores run on worker threads

    # -- index ---------------------------------------------------------------------------

    def _ref_path(self, key: str) -> Path:
        return self.root / "refs" / key[:2] / key

    def _blob_path(self, name: str) -> Path:
        return self.root / name[:2] / name[2:4] / name

    def _load(self) -> OrderedDict[str, int]:
        """Rebuild the LRU from the pointer files (once per process)."""
        if self._lru is not None:
            return self._lru
        entries: dict[str, tuple[float, int]] = {}
        refs = self.root / "refs"
        if refs.is_dir():
            for pointer in refs.glob("*/*"):
                try:
                    name = pointer.read_text().strip()
                    stat = self._blob_path(name).stat()
                except OSError:
                    continue
                entries[name] = (stat.st_mtime, stat.st_size)
        ordered = sorted(entries.items(), key=lambda kv: kv[1][0])
        self._lru = OrderedDict((name, size) for name, (_, size) in ordered)
        self._total = sum(self._lru.values())
        return self._lru

    @staticmethod
    def key(source_id: int, ref: str) -> str:
        return hashlib.sha256(f"{source_id}\0{ref}".encode()).hexdigest()

    def lookup(self, key: str) -> CachedImage | None:
        """The cached blob for a key, touched as recently used; None on a miss."""
        with self._mutex:
            return self._lookup(key)

    def _lookup(self, key: str) -> CachedImage | None:
        lru = self._load()
        try:
            name = self._ref_path(key).read_text().strip()
        except OSError:
            return None
        path = self._blob_path(name)
        if not path.is_file():
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        if name in lru:
            lru.move_to_end(name)
        sha, _, ext = name.partition(".")
        return CachedImage(path=path, sha256=sha, ext=ext)

    # -- writes --------------------------------------------------------------------------

    def store(self, key: str, body: bytes, ext: str) -> CachedImage:
        with self._mutex:
            return self._store(key, body, ext)

    def _store(self, key: str, body: bytes, ext: str) -> CachedImage:
        lru = self._load()
        sha = hashlib.sha256(body).hexdigest()
        name = f"{sha}.{ext}"
        path = self._blob_path(name)
        if not path.is_file():
            _atomic_write(path, body)
        _atomic_write(self._ref_path(key), name.encode())
        if name in lru:
            lru.move_to_end(name)
        else:
            lru[name] = len(body)
            self._total += len(body)
        self._evict(keep=name)
        return CachedImage(path=path, sha256=sha, ext=ext)

    def _evict(self, keep: str) -> None:
        lru = self._load()
        while self._total > self.budget_bytes and len(lru) > 1:
            name, size = next(iter(lru.items()))
            if name == keep:
                lru.move_to_end(name)
                continue
            del lru[name]
            self._total -= size
            with contextlib.suppress(OSError):
                self._blob_path(name).unlink()
            log.debug("evicted cached image %s (%d bytes)", name, size)

    @property
    def total_bytes(self) -> int:
        with self._mutex:
            self._load()
            return self._total

    async def get(self, key: str, fetch: Fetch) -> CachedImage:
        """The cached image, fetching it once on a miss (concurrent misses share a fetch)."""
        found = await in_thread(self.lookup, key)
        if found is not None:
            return found
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = await in_thread(self.lookup, key)
            if found is not None:
                return found
            body, content_type = await fetch()
            if len(body) > MAX_IMAGE_BYTES:
                raise ImageUnavailable("the image is too large")
            ext = image_ext(body, content_type)
            if ext is None:
                raise ImageUnavailable("the source did not send an image")
            stored = await in_thread(self.store, key, body, ext)
        self._locks.pop(key, None)
        return stored


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
