"""Walk library roots and list the video files Kodi would list.

Skipped, as Kodi and Plex/Jellyfin skip them: hidden files and folders, zero-byte files,
sample files and folders, trailers (`-trailer` files and trailer folders), extras and
featurette folders, NAS system folders (`@eaDir`, `#recycle`), and any folder holding a
`.nomedia` file. A root that is missing, unreadable or suddenly empty while it held
files is reported offline: a NAS that dropped off must not look like a deleted library.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = frozenset(
    {".mkv", ".mp4", ".m4v", ".avi", ".mov", ".wmv", ".mpg", ".mpeg", ".m2ts", ".mts", ".ts",
     ".webm", ".flv", ".ogv", ".iso", ".vob", ".divx", ".xvid", ".3gp", ".rmvb", ".asf",
     ".mk3d", ".strm"}
)  # fmt: skip
# Plex/Jellyfin extras folders plus Kodi's sample/trailer conventions.
EXTRAS_FOLDERS = frozenset(
    {"extras", "extra", "featurettes", "featurette", "behind the scenes", "deleted scenes",
     "interviews", "scenes", "shorts", "trailers", "trailer", "samples", "sample", "other",
     "others", "bonus"}
)  # fmt: skip
SYSTEM_FOLDERS = frozenset(
    {"@eadir", "#recycle", "#snapshot", "$recycle.bin", "system volume information",
     "lost+found", ".trashes", ".appledouble", "@recycle"}
)  # fmt: skip
# Kodi's default <excludefromscan>: "-trailer" and "[!-._ \\/]sample[-._ \\/]".
_SKIP_FILE = re.compile(r"-trailer\.[^.]+$|(?:^|[-._ ])sample(?:[-._ ]|\.[^.]+$)", re.I)


class FileEntry(msgspec.Struct, frozen=True):
    """One video file as seen on disk. `path` is relative to its root, with `/`."""

    path: str
    size: int
    mtime_ns: int
    inode: int = 0
    device: int = 0


@dataclass
class RootScan:
    """What one root held. `offline` means: do not conclude anything from `files`."""

    root: str
    files: dict[str, FileEntry] = field(default_factory=dict)
    offline: bool = False
    reason: str | None = None
    unreadable: list[str] = field(default_factory=list)  # folders (relative) we could not list
    # NFO sidecars (relative path → mtime_ns): a rescan re-reads only NFOs that changed.
    nfos: dict[str, int] = field(default_factory=dict)


def _skip_dir(name: str) -> bool:
    low = name.lower()
    return name.startswith(".") or low in EXTRAS_FOLDERS or low in SYSTEM_FOLDERS


def is_video(name: str) -> bool:
    """A listed video: a known extension, not hidden, not a sample or trailer."""
    if name.startswith("."):
        return False
    ext = os.path.splitext(name)[1].lower()
    return ext in VIDEO_EXTENSIONS and not _SKIP_FILE.search(name)


def scan_root(root: Path, previous_count: int = 0, follow_symlinks: bool = False) -> RootScan:
    """List one root's video files; `previous_count` is what the last scan found there."""
    result = RootScan(str(root))
    try:
        st = root.stat()
    except OSError as exc:
        result.offline, result.reason = True, f"root unavailable ({exc.strerror or exc})"
        return result
    if not stat.S_ISDIR(st.st_mode):
        result.offline, result.reason = True, "root is not a folder"
        return result
    seen_dirs: set[tuple[int, int]] = {(st.st_dev, st.st_ino)}
    stack: list[tuple[str, str]] = [(str(root), "")]
    top_level_entries = -1
    while stack:
        folder, rel = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            if rel == "":
                result.offline, result.reason = True, f"root unreadable ({exc.strerror or exc})"
                return result
            log.warning("cannot list %s under %s: %s", rel, root, exc.strerror or exc)
            result.unreadable.append(rel)
            continue
        if rel == "":
            top_level_entries = len(entries)
        if any(e.name == ".nomedia" for e in entries):
            continue
        for entry in entries:
            child_rel = f"{rel}/{entry.name}" if rel else entry.name
            try:
                if entry.is_dir(follow_symlinks=follow_symlinks):
                    if _skip_dir(entry.name):
                        continue
                    dst = entry.stat(follow_symlinks=follow_symlinks)
                    key = (dst.st_dev, dst.st_ino)
                    if key not in seen_dirs:  # symlink loops and bind mounts
                        seen_dirs.add(key)
                        stack.append((entry.path, child_rel))
                    continue
                if not is_video(entry.name):
                    if entry.name.lower().endswith(".nfo") and not entry.name.startswith("."):
                        result.nfos[child_rel] = entry.stat(follow_symlinks=True).st_mtime_ns
                    continue
                fst = entry.stat(follow_symlinks=True)
            except OSError:
                continue  # vanished while we looked, or a dangling link
            if not stat.S_ISREG(fst.st_mode) or fst.st_size == 0:
                continue
            result.files[child_rel] = FileEntry(
                child_rel, fst.st_size, fst.st_mtime_ns, fst.st_ino, fst.st_dev
            )
    if top_level_entries == 0 and previous_count > 0:
        # An empty mount point where files were: the share is not mounted.
        result.offline = True
        result.reason = f"root is empty but held {previous_count} files; assuming it is offline"
        result.files.clear()
        result.nfos.clear()
    return result
