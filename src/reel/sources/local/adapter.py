"""Local folders as a source: a sync is a scan.

Settings: `paths` (library roots), `library_kind` (or `kind`: movies | shows | mixed,
how ambiguous names are read), `write_nfo` and `write_artwork` (whether identification
writes Kodi files next to the media). The scan runs on a worker thread (directory
walks and guessit are blocking); its index and per-file facts travel in
`ListingContext.state`, so a rescan only recognises files that are new, changed or moved.

A root that vanished or came back empty (a NAS that dropped off) raises CannotConnect
before anything is listed: the engine marks the source offline and deletes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from reel.metadata.recognize import LibraryHint
from reel.sources.base import Capabilities, ListingContext, SourceAdapter, TestResult
from reel.sources.errors import CannotConnect, SourceError
from reel.sources.local import state as state_mod
from reel.sources.local.build import Built, build
from reel.sources.local.facts import RefreshStats, refresh_root
from reel.sources.local.scan import scan_root
from reel.sources.records import ITEM_TYPES, ListingPage

log = logging.getLogger(__name__)

PAGE = 2000
KINDS: tuple[LibraryHint, ...] = ("movies", "shows", "mixed")


class InvalidSettings(SourceError):
    """The source's settings cannot work (no paths, an unknown kind)."""


@dataclass
class ScanReport:
    """What the last listing did, for logs and the benchmark."""

    files: int = 0
    parsed: int = 0
    reused: int = 0
    nfos_read: int = 0
    scan_s: float = 0.0
    total_s: float = 0.0


class LocalAdapter(SourceAdapter):
    kind: ClassVar[str] = "local"
    capabilities: ClassVar[Capabilities] = Capabilities(streams=True, images=True)

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        settings = config.settings
        raw = settings.get("paths") or ([settings["path"]] if settings.get("path") else [])
        self.paths = [str(Path(p).expanduser()) for p in raw]
        hint = settings.get("library_kind") or settings.get("kind") or "mixed"
        if hint not in KINDS:
            raise InvalidSettings(f"unknown local library kind {hint!r} (movies, shows, mixed)")
        self.hint: LibraryHint = hint
        self.report = ScanReport()

    async def setup(self) -> Any:
        if not self.paths:
            raise InvalidSettings("a local source needs at least one --path")
        self.config.settings["paths"] = [str(Path(p).resolve()) for p in self.paths]
        self.config.settings.setdefault("library_kind", self.hint)
        self.config.settings.setdefault("write_nfo", False)
        self.config.settings.setdefault("write_artwork", False)
        result = await self.test()
        if not result.reachable:
            raise CannotConnect(result.message)
        return self.config

    async def test(self) -> TestResult:
        started = time.monotonic()
        problems = await asyncio.to_thread(self._check_roots)
        latency = (time.monotonic() - started) * 1000
        if problems:
            return TestResult(False, False, "; ".join(problems), {"paths": self.paths}, latency)
        return TestResult(
            True, True, "all library folders readable", {"paths": self.paths}, latency
        )

    def _check_roots(self) -> list[str]:
        problems = []
        if not self.paths:
            problems.append("no library folders configured")
        for path in self.paths:
            p = Path(path)
            if not p.is_dir():
                problems.append(f"library folder {path} is not reachable")
            elif not os.access(p, os.R_OK | os.X_OK):
                problems.append(f"library folder {path} is not readable")
        return problems

    async def listing(self, ctx: ListingContext) -> AsyncIterator[ListingPage]:
        built = await asyncio.to_thread(self._scan, ctx)
        yield ListingPage(libraries=built.libraries)
        for start in range(0, len(built.items), PAGE):
            yield ListingPage(items=built.items[start : start + PAGE])
            ctx.report("listing", min(start + PAGE, len(built.items)), len(built.items))
        ctx.complete_types.update(t for t in ITEM_TYPES if t != "channel")

    def _scan(self, ctx: ListingContext) -> Built:
        """Scan every root, refuse to go on if one is offline, then build the records."""
        if not self.paths:
            raise InvalidSettings(f"local source {self.config.name} has no library folders")
        started = time.monotonic()
        previous = state_mod.load(ctx.state)
        fresh = state_mod.SourceState(anchors=previous.anchors)
        stats = RefreshStats()
        report = ScanReport()
        for number, root in enumerate(self.paths, 1):
            old = previous.roots.get(root)
            t0 = time.monotonic()
            scan = scan_root(Path(root), len(old.index.entries) if old else 0)
            report.scan_s += time.monotonic() - t0
            if scan.offline:
                log.warning("local source %s: %s: %s", self.config.name, root, scan.reason)
                raise CannotConnect(f"library folder {root} is not reachable ({scan.reason})")
            ctx.report("scanning", number, len(self.paths))
            _, fresh.roots[root], root_stats = refresh_root(old, scan, self.hint)
            stats.parsed += root_stats.parsed
            stats.reused += root_stats.reused
            stats.nfos_read += root_stats.nfos_read
        built = build(fresh.roots, self.hint, previous.anchors)
        fresh.anchors = built.anchors
        state_mod.save(ctx.state, fresh)
        report.files = sum(len(r.files) for r in fresh.roots.values())
        report.parsed, report.reused, report.nfos_read = stats.parsed, stats.reused, stats.nfos_read
        report.total_s = time.monotonic() - started
        self.report = report
        log.info(
            "local source %s: %d files (%d recognised, %d reused, %d NFOs read) in %.2fs",
            self.config.name, report.files, report.parsed, report.reused, report.nfos_read,
            report.total_s,
        )  # fmt: skip
        return built

    def stream_url(
        self, remote_id: str, item_type: str, stream: dict[str, str], mode: str = "direct"
    ) -> str:
        """A file URL; the web app serves it with Range, and only under the roots."""
        path = Path(stream.get("path", ""))
        if not self.within_roots(path):
            raise SourceError(f"{path} is not under a library folder of {self.config.name}")
        return path.as_uri()

    def within_roots(self, path: Path) -> bool:
        """True when `path` (resolved, so `..` and symlinks cannot escape) is under a root."""
        try:
            real = path.resolve()
        except OSError:
            return False
        return any(real.is_relative_to(Path(root).resolve()) for root in self.paths)
