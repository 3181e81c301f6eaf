"""`reel sync [NAME ...] [--full] [--json]`: bring the catalog up to date.

Sources sync one after another; one failing does not stop the others, but the exit code
says so. Ctrl-C cancels: the source being synced rolls back to its previous catalog, and
the summary so far is still printed.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from reel.cli.context import AppContext, app_context, emit_json
from reel.cli.options import JsonOption
from reel.cli.source import service
from reel.playback.writeback import WriteBack
from reel.services.syncing import PostSync
from reel.sync.engine import ProgressFn, SyncEngine
from reel.sync.outcome import SyncResult

log = logging.getLogger(__name__)


def _summary(result: SyncResult) -> str:
    if result.status != "ok":
        return f"{result.name}: {result.status} — {result.error}"
    parts = [
        f"{sum(counts.values())} {label}"
        for label, counts in (
            ("added", result.added),
            ("updated", result.updated),
            ("removed", result.removed),
        )
    ]
    return f"{result.name}: ok — {', '.join(parts)} in {result.duration_s:.1f}s"


async def _run(
    engine: SyncEngine,
    names: list[str] | None,
    full: bool,
    progress: ProgressFn | None,
    results: list[SyncResult],
    post: PostSync,
) -> None:
    for name in names or engine.sources.names():
        engine.sources.row(name)  # unknown names fail before anything runs
    for name in names or engine.sources.names():
        result = await engine.sync(name, full=full, progress=progress, _results=results)
        results.append(result)
        await post.run(result)


class _Bars:
    """One rich progress line per source, fed by the engine's progress callback."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, name: str, phase: str, done: int, total: int | None) -> None:
        task = self.tasks.get(name)
        if task is None:
            task = self.tasks[name] = self.progress.add_task(name, total=None)
        self.progress.update(task, description=f"{name}: {phase}", completed=done, total=total)


def register(app: typer.Typer) -> None:
    @app.command("sync")
    def sync_cmd(
        ctx: typer.Context,
        names: Annotated[list[str] | None, typer.Argument(help="Sources (default: all).")] = None,
        full: Annotated[bool, typer.Option("--full", help="Full listing, not changes.")] = False,
        json: JsonOption = False,
    ) -> None:
        """Sync sources into the catalog."""
        actx = app_context(ctx)
        engine = SyncEngine(service(actx), user=actx.settings.user)
        results: list[SyncResult] = []
        interrupted = False
        try:
            _sync(actx, engine, names or None, full, results)
        except KeyboardInterrupt:
            interrupted = True
        if json:
            emit_json({"sources": [r.to_json() for r in results]})
        else:
            for result in results:
                actx.console.print(_summary(result))
        for result in results:
            if result.status == "failed":
                error = " ".join((result.error or "").split())
                print(f"error: sync of {result.name} failed: {error}", file=sys.stderr)
        # SystemExit, not typer.Exit: the root runs click without standalone mode, which
        # turns typer.Exit into a return value that would be lost
        if interrupted:
            raise SystemExit(130)
        if any(r.status != "ok" for r in results):
            raise SystemExit(1)


def _sync(
    actx: AppContext,
    engine: SyncEngine,
    names: list[str] | None,
    full: bool,
    results: list[SyncResult],
) -> None:
    post = PostSync(engine, actx.settings, WriteBack(engine.sources))
    if not actx.err.is_terminal:
        asyncio.run(_run(engine, names, full, None, results, post))
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=actx.err, transient=True) as progress:
        asyncio.run(_run(engine, names, full, _Bars(progress), results, post))
