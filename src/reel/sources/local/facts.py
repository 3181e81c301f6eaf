"""Bring one root's remembered facts up to date with a fresh scan.

Names are recognised again only for files that are new, changed or moved; NFOs are read
again only when their mtime changed. Everything else is carried over from the last scan,
which is what makes a no-change rescan cost a directory walk and little more.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import posixpath
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from reel.metadata.nfo import NfoError, parse_nfo
from reel.metadata.nfo_write import written_by_reel
from reel.metadata.recognize import LibraryHint, Recognition, recognize
from reel.sources.local.index import IndexDiff, diff
from reel.sources.local.scan import RootScan
from reel.sources.local.state import FileFacts, NfoFacts, RootState

log = logging.getLogger(__name__)

# guessit costs milliseconds a name: a first scan of a big library uses every core.
PARALLEL_MIN = 2000


def recognise_all(paths: list[str], hint: LibraryHint) -> list[Recognition]:
    """Recognise many paths, in worker processes when there are enough to be worth it."""
    workers = min(os.cpu_count() or 1, 8)
    if len(paths) < PARALLEL_MIN or workers < 2:
        return [recognize(p, hint) for p in paths]
    # spawn, not fork: the scan runs on a thread of a process that has others.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(partial(recognize, hint=hint), paths, chunksize=256))


@dataclass
class RefreshStats:
    parsed: int = 0
    reused: int = 0
    nfos_read: int = 0


def _read_nfo(root: Path, rel: str, mtime_ns: int) -> NfoFacts:
    sig = f"{rel}@{mtime_ns}"
    try:
        data = (root / rel).read_bytes()
    except OSError as exc:
        return NfoFacts(sig, error=f"{rel}: cannot read ({exc.strerror})")
    if written_by_reel(data):
        return NfoFacts(sig, own=True)  # our own output: its values came from us
    try:
        return NfoFacts(sig, tuple(parse_nfo(data, rel)))
    except NfoError as exc:
        log.info("ignoring NFO %s under %s: %s", rel, root, exc)
        return NfoFacts(sig, error=str(exc))


def _nfo_for(
    root: Path,
    rel: str,
    nfos: dict[str, int],
    kind: str,
    previous: NfoFacts | None,
    stats: RefreshStats,
) -> NfoFacts | None:
    """The NFO Kodi would read for a video: `<file>.nfo`, then `movie.nfo` in its folder."""
    folder, name = posixpath.split(rel)
    stem = name.rsplit(".", 1)[0]
    candidates = [posixpath.join(folder, stem + ".nfo")]
    if kind == "movie" and folder:
        candidates.append(posixpath.join(folder, "movie.nfo"))
    for candidate in candidates:
        mtime = nfos.get(candidate)
        if mtime is None:
            continue
        if previous is not None and previous.sig == f"{candidate}@{mtime}":
            return previous
        stats.nfos_read += 1
        return _read_nfo(root, candidate, mtime)
    return None


def refresh_root(
    previous: RootState | None, scan: RootScan, hint: LibraryHint
) -> tuple[IndexDiff, RootState, RefreshStats]:
    """The root's new state after `scan`; an offline scan returns the old state untouched."""
    stats = RefreshStats()
    old_index = previous.index if previous else None
    change, index = diff(old_index, scan)
    if change.offline:
        assert previous is not None or old_index is None
        return change, previous or RootState(index), stats
    root = Path(scan.root)
    old_files = previous.files if previous else {}
    old_shows = previous.shows if previous else {}
    files: dict[str, FileFacts] = {}
    for entry in index.entries.values():
        old = old_files.get(entry.file_id)
        if (
            old is not None
            and old.path == entry.path
            and old.size == entry.size
            and (old.mtime_ns == entry.mtime_ns)
        ):
            recognition = old.recognition
            stats.reused += 1
        else:
            recognition = recognize(entry.path, hint)
            stats.parsed += 1
        nfo = _nfo_for(
            root, entry.path, scan.nfos, recognition.kind, old.nfo if old else None, stats
        )
        files[entry.file_id] = FileFacts(
            entry.path, entry.size, entry.mtime_ns, recognition, nfo, entry.phash
        )
    shows: dict[str, NfoFacts] = {}
    for facts in files.values():
        folder = facts.recognition.show_folder
        if not folder or folder in shows:
            continue
        rel = posixpath.join(folder, "tvshow.nfo")
        mtime = scan.nfos.get(rel)
        if mtime is None:
            continue
        old_show = old_shows.get(folder)
        if old_show is not None and old_show.sig == f"{rel}@{mtime}":
            shows[folder] = old_show
        else:
            stats.nfos_read += 1
            shows[folder] = _read_nfo(root, rel, mtime)
    return change, RootState(index, files, shows), stats
