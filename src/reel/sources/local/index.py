"""The scan index: what each root held last time, and what changed since.

A rescan compares (size, mtime) per path, so only new and changed files are parsed
again. A file that vanished from one path and appeared at another is a move, not a
delete plus an add, so its item keeps its id, watch state and locks: first by
(device, inode, size, mtime) — a rename within one disk keeps them all — then by size
plus a hash of the first and last 64 KiB, which survives copies across disks.
Each entry carries a `file_id` given when the file is first seen and kept through
changes and moves; it is the stable remote id of the file's item.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from reel.sources.local.scan import FileEntry, RootScan

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


class IndexEntry(msgspec.Struct, frozen=True):
    file_id: str
    path: str  # relative to the root
    size: int
    mtime_ns: int
    inode: int = 0
    device: int = 0
    phash: str | None = None


class RootIndex(msgspec.Struct):
    root: str
    entries: dict[str, IndexEntry] = msgspec.field(default_factory=dict)


def partial_hash(path: Path, size: int | None = None) -> str | None:
    """SHA-256 over size, the first and the last 64 KiB: cheap on a NAS, rarely fooled."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size if size is None else size
            digest = hashlib.sha256(str(size).encode())
            digest.update(handle.read(CHUNK))
            if size > CHUNK:
                handle.seek(max(CHUNK, size - CHUNK))
                digest.update(handle.read(CHUNK))
    except OSError as exc:
        log.debug("cannot hash %s: %s", path, exc)
        return None
    return digest.hexdigest()[:32]


def new_file_id(root: str, path: str) -> str:
    return hashlib.sha1(f"{root}\0{path}".encode()).hexdigest()[:20]


@dataclass
class Move:
    old: IndexEntry
    new: IndexEntry


@dataclass
class IndexDiff:
    """What happened under one root since the last scan.

    With `offline` set nothing is known: callers keep every item and mark the source
    offline. Entries under `unreadable` folders are in `unknown`, neither kept nor gone.
    """

    root: str
    offline: bool = False
    reason: str | None = None
    new: list[IndexEntry] = field(default_factory=list)
    changed: list[IndexEntry] = field(default_factory=list)
    unchanged: list[IndexEntry] = field(default_factory=list)
    moved: list[Move] = field(default_factory=list)
    vanished: list[IndexEntry] = field(default_factory=list)
    unknown: list[IndexEntry] = field(default_factory=list)

    @property
    def to_parse(self) -> list[IndexEntry]:
        """Entries whose names or contents need recognising again."""
        return [*self.new, *self.changed, *(m.new for m in self.moved)]


def _under(path: str, folders: Iterable[str]) -> bool:
    return any(path == f or path.startswith(f + "/") for f in folders)


def diff(
    previous: RootIndex | None,
    scan: RootScan,
    hasher: Callable[[Path, int], str | None] = partial_hash,
) -> tuple[IndexDiff, RootIndex]:
    """Compare a scan with the previous index; returns the diff and the index to store.

    New files are hashed (so a later move can be recognised); unchanged ones keep
    their stored hash. An offline root returns the previous index untouched.
    """
    previous = previous or RootIndex(scan.root)
    result = IndexDiff(scan.root, offline=scan.offline, reason=scan.reason)
    if scan.offline:
        return result, previous
    root = Path(scan.root)
    out = RootIndex(scan.root)
    appeared: list[FileEntry] = []
    for path, entry in scan.files.items():
        old = previous.entries.get(path)
        if old is None:
            appeared.append(entry)
            continue
        if old.size == entry.size and old.mtime_ns == entry.mtime_ns:
            kept = msgspec.structs.replace(old, inode=entry.inode, device=entry.device)
            result.unchanged.append(kept)
        else:
            kept = IndexEntry(
                old.file_id, path, entry.size, entry.mtime_ns, entry.inode, entry.device,
                hasher(root / path, entry.size),
            )  # fmt: skip
            result.changed.append(kept)
        out.entries[path] = kept
    gone = [e for p, e in previous.entries.items() if p not in scan.files]
    gone_known = [e for e in gone if not _under(e.path, scan.unreadable)]
    result.unknown = [e for e in gone if _under(e.path, scan.unreadable)]
    for e in result.unknown:
        out.entries[e.path] = e
    by_inode = {(e.device, e.inode, e.size, e.mtime_ns): e for e in gone_known if e.inode}
    by_hash: dict[tuple[int, str], list[IndexEntry]] = {}
    sizes = {e.size for e in gone_known}
    for e in gone_known:
        if e.phash:
            by_hash.setdefault((e.size, e.phash), []).append(e)
    matched: set[str] = set()
    for entry in appeared:
        old = by_inode.get((entry.device, entry.inode, entry.size, entry.mtime_ns))
        phash = None
        if old is None or old.path in matched:
            old = None
            phash = hasher(root / entry.path, entry.size)
            if entry.size in sizes and phash is not None:
                pool = [e for e in by_hash.get((entry.size, phash), []) if e.path not in matched]
                old = pool[0] if pool else None
        if old is not None:
            matched.add(old.path)
            moved = IndexEntry(
                old.file_id, entry.path, entry.size, entry.mtime_ns, entry.inode,
                entry.device, phash or old.phash,
            )  # fmt: skip
            result.moved.append(Move(old, moved))
            out.entries[entry.path] = moved
        else:
            fresh = IndexEntry(
                new_file_id(scan.root, entry.path), entry.path, entry.size, entry.mtime_ns,
                entry.inode, entry.device, phash,
            )  # fmt: skip
            result.new.append(fresh)
            out.entries[entry.path] = fresh
    result.vanished = [e for e in gone_known if e.path not in matched]
    return result, out
