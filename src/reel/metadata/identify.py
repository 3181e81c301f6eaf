"""Identification of local items, run after a scan: unidentified → identified → enriched.

1. Bookkeeping (`pending.prepare`): files, identification rows and the overlay for
   items the scan created or rewrote. No network. Then stream details from ffprobe
   (`streams`), once per file version.
2. Identify films and shows on TMDB from what the name/NFO says (ids first); a match
   at or above the threshold (setting `metadata.match_threshold`, default 0.8) is
   accepted, anything less keeps the item unidentified with its candidates listed.
3. Enrich identified items: details, credits, artwork into the asset store, then the
   seasons and episodes of shows.
4. Optionally write Kodi NFOs and artwork next to the media (`identify_files`).

Without network (CannotConnect) the pass stops and items stay as they are; the next run
retries them. Responses are cached in the database, so a retry or a refresh of known
items costs no requests. Field locks and NFO values are respected by the overlay.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, select

from reel.catalog.db import Database, writing
from reel.catalog.models import Base
from reel.catalog.types import utcnow
from reel.config import Settings
from reel.errors import InvalidInput, NotFound
from reel.metadata import values as V
from reel.metadata.assets import AssetStore
from reel.metadata.dbcache import DbCache
from reel.metadata.match import DEFAULT_THRESHOLD
from reel.metadata.pending import has_pending, prepare, set_state
from reel.metadata.streams import add_stream_details
from reel.metadata.tmdb import TmdbClient, TmdbProvider
from reel.metadata.tmdb.client import NotFound as TmdbNotFound
from reel.metadata.tmdb.models import SeasonDetails
from reel.metadata.tmdb.provider import MediaKind
from reel.sources.errors import BadResponse, CannotConnect, InvalidAuth
from reel.sources.http import RetryPolicy, make_client, request

log = logging.getLogger(__name__)

ITEMS = Base.metadata.tables["items"]
SOURCES = Base.metadata.tables["sources"]
SETTINGS = Base.metadata.tables["settings"]
META = Base.metadata.tables["item_metadata"]
REFS = Base.metadata.tables["asset_refs"]
ASSETS = Base.metadata.tables["assets"]
THRESHOLD_KEY = "metadata.match_threshold"
RETRY_UNMATCHED = timedelta(days=7)
RETRY_FAILED = timedelta(hours=1)


@dataclass
class IdentifyReport:
    source: str
    prepared: int = 0
    identified: int = 0
    unidentified: int = 0
    enriched: int = 0
    failed: int = 0
    offline: bool = False
    error: str | None = None
    files: dict[str, int] = field(default_factory=dict)
    streams: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0
    touched: set[int] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "prepared": self.prepared,
            "identified": self.identified,
            "unidentified": self.unidentified,
            "enriched": self.enriched,
            "failed": self.failed,
            "offline": self.offline,
            "error": self.error,
            "files": self.files,
            "streams": self.streams,
            "duration_s": round(self.duration_s, 3),
        }


def read_threshold(db: Database) -> float:
    with db.engine.connect() as conn:
        value = conn.execute(
            select(SETTINGS.c.value).where(SETTINGS.c.key == THRESHOLD_KEY)
        ).scalar()
    try:
        return float(value) if value is not None else DEFAULT_THRESHOLD
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLD


def _candidates(ident: Any) -> list[dict[str, Any]]:
    return [
        {
            "tmdb": s.candidate.id,
            "title": s.candidate.title,
            "year": s.candidate.year,
            "confidence": s.confidence,
        }
        for s in ident.candidates[:5]
    ]


class Identifier:
    """Runs the pipeline over local sources; one instance per process is enough."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        provider: TmdbProvider | None = None,
        threshold: float | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        enrich: bool = True,
    ) -> None:
        self.db = db
        self.settings = settings
        self.assets = AssetStore(settings.assets_dir)
        self.retry = retry or RetryPolicy()
        self.threshold = threshold if threshold is not None else read_threshold(db)
        self.transport = transport
        self.do_enrich = enrich
        self._provider = provider
        self._images: httpx.AsyncClient | None = None

    @property
    def provider(self) -> TmdbProvider | None:
        if self._provider is None and self.settings.tmdb_api_key:
            client = TmdbClient(
                self.settings.tmdb_api_url, self.settings.tmdb_api_key,
                cache=DbCache(self.db.engine), retry=self.retry, transport=self.transport,
            )  # fmt: skip
            self._provider = TmdbProvider(client, self.threshold)
        return self._provider

    async def aclose(self) -> None:
        if self._provider is not None:
            await self._provider.client.aclose()
        if self._images is not None:
            await self._images.aclose()

    # -- entry points ------------------------------------------------------------------

    def _sources(self, name: str | None) -> list[Any]:
        query = select(SOURCES.c.id, SOURCES.c.name, SOURCES.c.kind, SOURCES.c.settings)
        with self.db.engine.connect() as conn:
            if name is None:
                return list(conn.execute(query.where(SOURCES.c.kind == "local")))
            row = conn.execute(query.where(SOURCES.c.name == name)).first()
        if row is None:
            raise NotFound(f"no source named {name!r} (see `reel source list`)")
        if row.kind != "local":
            raise InvalidInput(f"{name} is a {row.kind} source; only local sources are identified")
        return [row]

    async def run(
        self, source: str | None = None, *, refresh: bool = False
    ) -> list[IdentifyReport]:
        """Identify every local source (or one); `refresh` re-reads enriched items too."""
        return [await self.run_source(row, refresh=refresh) for row in self._sources(source)]

    async def run_source(self, row: Any, *, refresh: bool = False) -> IdentifyReport:
        started = time.monotonic()
        report = IdentifyReport(row.name)
        ids: list[int] = []
        # `prepare` reads the pending items and then writes their bookkeeping: the write
        # lock from BEGIN (see `writing`). Most runs find nothing pending; a plain read
        # says so without queueing for the lock behind another source's sync.
        with self.db.engine.connect() as conn:
            pending = has_pending(conn, row.id)
        if pending:
            with writing(self.db.engine) as conn:
                ids = prepare(conn, row.id)
        report.prepared = len(ids)
        report.touched.update(ids)
        streams = await add_stream_details(self.db, row.id)
        report.touched.update(streams.updated)
        report.streams = streams.to_json()
        provider = self.provider
        if provider is None:
            report.error = "no TMDB API key (set REEL_TMDB_API_KEY); items stay unidentified"
        else:
            try:
                await self._identify(row.id, provider, report)
                if self.do_enrich:
                    await self._enrich(row.id, provider, report, refresh)
            except CannotConnect as exc:
                report.offline, report.error = True, f"TMDB unreachable, will retry: {exc}"
                log.warning("identification of %s paused: %s", row.name, exc)
            except InvalidAuth as exc:
                report.error = f"TMDB refused the API key: {exc}"
        settings = row.settings or {}
        if settings.get("write_nfo") or settings.get("write_artwork"):
            from reel.metadata.identify_files import write_files

            with self.db.engine.begin() as conn:
                report.files = write_files(conn, self.assets, row.id, settings, report.touched)
        report.duration_s = time.monotonic() - started
        return report

    # -- identification ----------------------------------------------------------------

    def _due(self, source_id: int, statuses: tuple[str, ...], types: tuple[str, ...]) -> list[Any]:
        now = utcnow()
        with self.db.engine.connect() as conn:
            return list(
                conn.execute(
                    select(
                        ITEMS.c.id,
                        ITEMS.c.type,
                        ITEMS.c.extra,
                        ITEMS.c.season,
                        ITEMS.c.episode,
                        ITEMS.c.parent_id,
                        META.c.query,
                        META.c.provider_id,
                        META.c.attempts,
                        META.c.status,
                    )
                    .join(META, META.c.item_id == ITEMS.c.id)
                    .where(
                        ITEMS.c.source_id == source_id,
                        ITEMS.c.type.in_(types),
                        META.c.status.in_(statuses),
                        (META.c.next_attempt_at.is_(None)) | (META.c.next_attempt_at <= now),
                    )
                    .order_by(ITEMS.c.id)
                )
            )

    async def _identify(
        self, source_id: int, provider: TmdbProvider, report: IdentifyReport
    ) -> None:
        for r in self._due(source_id, ("unidentified",), ("movie", "show")):
            q = r.query or {}
            kind: MediaKind = "movie" if r.type == "movie" else "tv"
            ids = {k: str(v) for k, v in (q.get("ids") or {}).items()}
            try:
                ident = await provider.identify(kind, q.get("title") or "", q.get("year"), ids)
            except (TmdbNotFound, BadResponse) as exc:
                self._failed(r, str(exc), report)
                continue
            report.touched.add(r.id)
            with self.db.engine.begin() as conn:
                if ident.tmdb_id is not None:
                    set_state(
                        conn, r.id, status="identified", provider_id=str(ident.tmdb_id),
                        method=ident.method, confidence=ident.confidence,
                        candidates=_candidates(ident), attempts=r.attempts + 1,
                        last_error=None, next_attempt_at=None,
                    )  # fmt: skip
                    report.identified += 1
                else:
                    set_state(
                        conn, r.id, confidence=ident.confidence, candidates=_candidates(ident),
                        attempts=r.attempts + 1, next_attempt_at=utcnow() + RETRY_UNMATCHED,
                    )  # fmt: skip
                    report.unidentified += 1

    def _failed(self, r: Any, error: str, report: IdentifyReport) -> None:
        report.failed += 1
        with self.db.engine.begin() as conn:
            set_state(
                conn, r.id, attempts=r.attempts + 1, last_error=error[:500],
                next_attempt_at=utcnow() + RETRY_FAILED * min(24, 2 ** min(r.attempts, 5)),
            )  # fmt: skip

    # -- enrichment --------------------------------------------------------------------

    async def _enrich(
        self, source_id: int, provider: TmdbProvider, report: IdentifyReport, refresh: bool
    ) -> None:
        statuses = ("identified", "enriched") if refresh else ("identified",)
        for r in self._due(source_id, statuses, ("movie", "show")):
            await self.enrich_item(r, provider, report)
        for show in self._due(source_id, ("enriched",), ("show",)):
            await self._enrich_children(show, provider, report, refresh)

    async def enrich_item(self, r: Any, provider: TmdbProvider, report: IdentifyReport) -> None:
        base = self.settings.tmdb_image_url
        try:
            if r.type == "movie":
                values = V.movie_values(await provider.movie(int(r.provider_id)), base)
            else:
                values = V.show_values(await provider.tv(int(r.provider_id)), base)
        except (TmdbNotFound, BadResponse) as exc:
            self._failed(r, str(exc), report)
            return
        await self._store_artwork(r.id, values.get("artwork") or {})
        with self.db.engine.begin() as conn:
            set_state(conn, r.id, status="enriched", values=values, last_error=None)
        report.enriched += 1
        report.touched.add(r.id)
        if r.type == "show":
            await self._enrich_children(r, provider, report, refresh=False)

    async def _enrich_children(
        self, show: Any, provider: TmdbProvider, report: IdentifyReport, refresh: bool
    ) -> None:
        tv_id = int(show.provider_id)
        statuses = ("unidentified", "identified", "enriched") if refresh else (
            "unidentified", "identified",
        )  # fmt: skip
        with self.db.engine.connect() as conn:
            children = select(ITEMS.c.id, ITEMS.c.season).where(ITEMS.c.parent_id == show.id)
            seasons = {r.id: r.season for r in conn.execute(children)}
            rows = list(
                conn.execute(
                    select(
                        ITEMS.c.id,
                        ITEMS.c.type,
                        ITEMS.c.season,
                        ITEMS.c.episode,
                        ITEMS.c.extra,
                        ITEMS.c.parent_id,
                    )
                    .join(META, and_(META.c.item_id == ITEMS.c.id, META.c.status.in_(statuses)))
                    .where(ITEMS.c.id.in_(list(seasons)) | ITEMS.c.parent_id.in_(list(seasons)))
                )
            )
        cache: dict[int, SeasonDetails | None] = {}

        async def season(n: int) -> SeasonDetails | None:
            if n not in cache:
                try:
                    cache[n] = await provider.season(tv_id, n)
                except TmdbNotFound:
                    cache[n] = None
            return cache[n]

        base = self.settings.tmdb_image_url
        for r in rows:
            extra = r.extra or {}
            values: dict[str, Any] | None = None
            if r.type == "season" and r.season is not None:
                details = await season(r.season)
                values = V.season_values(details, base) if details else None
            elif r.type == "episode":
                episode = await self._episode(provider, tv_id, r, extra, season)
                values = V.episode_values(episode, base) if episode else None
            if values is None:
                continue
            await self._store_artwork(r.id, values.get("artwork") or {})
            with self.db.engine.begin() as conn:
                set_state(conn, r.id, status="enriched", values=values, provider_id=None)
            report.enriched += 1
            report.touched.add(r.id)

    async def _episode(self, provider: TmdbProvider, tv_id: int, r: Any, extra: dict[str, Any],
                       season: Any) -> Any:  # fmt: skip
        if extra.get("absolute") is not None and not (extra.get("parse") or {}).get("season"):
            found = await provider.episodes_for(tv_id, absolute=int(extra["absolute"]))
            return found[0] if found else None
        if extra.get("aired"):
            found = await provider.episodes_for(tv_id, aired=date.fromisoformat(extra["aired"]))
            return found[0] if found else None
        if r.season is None or r.episode is None:
            return None
        details = await season(r.season)
        return (
            next((e for e in details.episodes if e.episode_number == r.episode), None)
            if (details)
            else None
        )

    # -- artwork -----------------------------------------------------------------------

    async def _store_artwork(self, item_id: int, artwork: dict[str, str]) -> None:
        """Download artwork into the asset store (once per URL per item)."""
        if not artwork:
            return
        with self.db.engine.connect() as conn:
            known = {
                r.role: r.source_url
                for r in conn.execute(
                    select(REFS.c.role, ASSETS.c.source_url)
                    .join_from(REFS, ASSETS, REFS.c.asset_id == ASSETS.c.id)
                    .where(REFS.c.item_id == item_id)
                )
            }  # fmt: skip
        for role, url in artwork.items():
            if known.get(role) == url:
                continue
            try:
                data = await self._fetch_image(url)
            except (CannotConnect, BadResponse) as exc:
                log.info("artwork %s of item %s not stored: %s", role, item_id, exc)
                continue
            # `put` looks the blob up before inserting it: the write lock from BEGIN.
            with writing(self.db.engine) as conn:
                asset_id = self.assets.put(conn, data, url)
                self.assets.ref(conn, item_id, role, asset_id)

    async def _fetch_image(self, url: str) -> bytes:
        if self._images is None:
            self._images = make_client(timeout=30.0, transport=self.transport)
        response = await request(self._images, "GET", url, what="TMDB image", retry=self.retry)
        return response.content
